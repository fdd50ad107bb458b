import HTTPTypes
import NIOCore

/// A response to a hot route, for whichever layer writes it: the router takes the HTTP-types
/// fields, the hot-route handler the HTTP/1 head as bytes, which are made once with the
/// answer (and cached answers are made once in all).
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
    /// The HTTP/1 head from the status code on (` 200 OK\r\n`, every field line, `Server`),
    /// without the version, `Date` and `Connection`, which depend on the request and the
    /// time, and without the blank line that ends it.
    let encodedHead: ByteBuffer

    init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
        var head = ByteBuffer()
        head.writeString(" \(status.code) \(status.reasonPhrase)\r\n")
        for field in headers {
            head.writeString(field.name.rawName)
            head.writeStaticString(": ")
            head.writeString(field.value)
            head.writeStaticString("\r\n")
        }
        head.writeString("Server: \(serverName)\r\n")
        encodedHead = head
    }
}

extension Answer {
    /// The answer to a request `RequestPolicy` refuses, as the router would send it.
    init(refusal: APIError) {
        // JSON of three strings: encoding cannot fail.
        let body = (try? refusal.body()) ?? ByteBuffer()
        var headers = refusal.headersWithContentType
        headers[.contentLength] = String(body.readableBytes)
        self.init(status: refusal.status, headers: headers, body: body)
    }
}
