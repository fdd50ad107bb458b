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

    /// The body in one buffer: the only part, or the parts joined (a copy, for the router's
    /// and the digest's rarer uses of a kept answer).
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
    /// The answer to `refusal`, made once and kept: a refused request then costs a lookup, not
    /// a JSON encoding and a head, the most of its CPU in `perf` profiles of a refusing
    /// server. The refusals a server makes are few (a 401, a 413, a 429 for each
    /// `Retry-After`); past `RefusalAnswers.limit` kinds, answers are made as before.
    static func refusing(_ refusal: APIError) -> Answer {
        RefusalAnswers.shared.answer(refusing: refusal)
    }

    /// The rate limit's 429 with `Retry-After: seconds`, found by the seconds alone: the
    /// refusal a busy server makes most, without making the error and hashing it whole (a
    /// quarter of the work of a refusal of our own in `perf`, docs/benchmarks.md).
    static func rateLimited(retryAfter seconds: Int) -> Answer {
        RefusalAnswers.shared.rateLimited(retryAfter: seconds)
    }

    /// The 401 of a `/v1` request without a valid token (`BearerTokens.rejected`).
    static var unauthorized: Answer { RefusalAnswers.shared.unauthorized }
}

/// Answers to refusals, by everything an `APIError`'s answer is made from.
final class RefusalAnswers: Sendable {
    private struct Key: Hashable {
        let status: Int
        let reason: String
        let code: String
        let message: String
        let explanation: String?
        let headers: HTTPFields
    }

    static let shared = RefusalAnswers()
    /// Distinct refusals kept at most, so that refusals that vary without bound (none does
    /// today) cannot grow the table.
    static let limit = 64
    private let answers = Mutex<[Key: Answer]>([:])

    private let rateLimitedAnswers = Mutex<[Int: Answer]>([:])
    let unauthorized = Answer(refusal: BearerTokens.rejected)

    /// The kinds of refusal kept.
    var count: Int { answers.withLock { $0.count } }

    /// The 429 for a wait of `seconds`, kept by the seconds (up to `limit` of them).
    func rateLimited(retryAfter seconds: Int) -> Answer {
        if let known = rateLimitedAnswers.withLock({ $0[seconds] }) { return known }
        let made = Answer(refusal: RequestPolicy.rateLimited(retryAfter: seconds))
        rateLimitedAnswers.withLock { answers in
            if answers.count < Self.limit { answers[seconds] = made }
        }
        return made
    }

    func answer(refusing refusal: APIError) -> Answer {
        let key = Key(
            status: refusal.status.code, reason: refusal.status.reasonPhrase, code: refusal.code,
            message: refusal.message,
            explanation: refusal.explanation, headers: refusal.headers)
        if let known = answers.withLock({ $0[key] }) { return known }
        let made = Answer(refusal: refusal)
        answers.withLock { answers in
            if answers.count < Self.limit { answers[key] = made }
        }
        return made
    }
}
