import HTTPTypes
import NIOCore
import Synchronization

/// A response to a hot route, for whichever layer writes it: the router takes the HTTP-types
/// fields, the hot-route handler the HTTP/1 head as bytes, which are made once with the
/// answer (and cached answers are made once in all).
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    /// The body, sent in order: one buffer as made, or the parts the range cache keeps it in
    /// (``NIOCore/ByteBuffer/keptParts``).
    let bodyParts: [ByteBuffer]
    /// The HTTP/1 head from the status code on (` 200 OK\r\n`, every field line, `Server`),
    /// without the version, `Date` and `Connection`, which depend on the request and the
    /// time, and without the blank line that ends it.
    let encodedHead: ByteBuffer

    init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.init(status: status, headers: headers, bodyParts: [body])
    }

    init(status: HTTPResponse.Status, headers: HTTPFields, bodyParts: [ByteBuffer]) {
        precondition(!bodyParts.isEmpty, "an empty body is one empty buffer")
        self.status = status
        self.headers = headers
        self.bodyParts = bodyParts
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

    private init(status: HTTPResponse.Status, headers: HTTPFields, bodyParts: [ByteBuffer], encodedHead: ByteBuffer) {
        (self.status, self.headers, self.bodyParts, self.encodedHead) = (status, headers, bodyParts, encodedHead)
    }

    /// This answer with the same bytes in `parts` (which must hold them, in order).
    func keepingBody(in parts: [ByteBuffer]) -> Answer {
        Answer(status: status, headers: headers, bodyParts: parts, encodedHead: encodedHead)
    }

    /// The body in one buffer: the only part, or the parts joined (a copy, for the digest's
    /// and the tests' rarer uses of a kept answer).
    var body: ByteBuffer {
        guard bodyParts.count > 1 else { return bodyParts[0] }
        var joined = ByteBuffer()
        joined.reserveCapacity(bodyByteCount)
        for part in bodyParts { joined.writeImmutableBuffer(part) }
        return joined
    }

    var bodyByteCount: Int { bodyParts.reduce(0) { $0 + $1.readableBytes } }
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

extension Answer {
    /// The rate limit's 429 with `Retry-After: seconds`. Refusals are answered from answers
    /// made once (``RefusalAnswers``): a refused request then costs a lookup, not a JSON
    /// encoding and a head (docs/benchmarks.md).
    static func rateLimited(retryAfter seconds: Int) -> Answer {
        RefusalAnswers.shared.rateLimited(retryAfter: seconds)
    }

    /// The 401 of a `/v1` request without a valid token (`BearerTokens.rejected`).
    static var unauthorized: Answer { RefusalAnswers.shared.unauthorized }

    /// The 413 of a check whose declared body is over the hot path's limit.
    static var checkTooLarge: Answer { RefusalAnswers.shared.checkTooLarge }
}

/// The answers to the refusals the hot path makes, each made once: the 401 and the 413,
/// and the 429 for each `Retry-After` seen (up to `limit` of them, so that the table cannot
/// grow without bound; past it, a 429 is made per request).
final class RefusalAnswers: Sendable {
    static let shared = RefusalAnswers()
    static let limit = 64

    let unauthorized = Answer(refusal: BearerTokens.rejected)
    let checkTooLarge = Answer(refusal: JSONBody.tooLarge(limit: CheckRoutes.bodyLimit))
    private let rateLimitedAnswers = Mutex<[Int: Answer]>([:])

    /// The 429s kept.
    var rateLimitedCount: Int { rateLimitedAnswers.withLock { $0.count } }

    /// The 429 for a wait of `seconds`.
    func rateLimited(retryAfter seconds: Int) -> Answer {
        if let known = rateLimitedAnswers.withLock({ $0[seconds] }) { return known }
        let made = Answer(refusal: RequestPolicy.rateLimited(retryAfter: seconds))
        rateLimitedAnswers.withLock { answers in
            if answers.count < Self.limit { answers[seconds] = made }
        }
        return made
    }
}
