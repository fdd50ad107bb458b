import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// A response to a hot route, for whichever layer writes it: the router takes the HTTP-types
/// fields, the hot-route handler NIO's HTTP/1 head, which is made once with the answer (and
/// cached answers are made once in all).
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
    let head: HTTPResponseHead

    init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
        head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status.code), headers: HTTPHeaders(headers))
    }
}
