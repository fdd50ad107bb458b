import BreachHash
import BreachIndex
import Foundation
import Hummingbird

/// `POST /v1/check` and `POST /v1/check/batch`: "is this password breached?".
struct CheckRoutes: Sendable {
    /// Most hashes in one batch request.
    static let batchLimit = 1_000
    /// Largest request body accepted (a full batch of NTLM-or-SHA-1 hex with JSON is ≈ 45 KB).
    static let bodyLimit = 64 << 10

    struct CheckRequest: Decodable {
        var password: String?
        var sha1: String?
        var ntlm: String?
    }

    struct CheckResponse {
        var breached: Bool
        var count: UInt64

        /// `{"breached":true,"count":3861493}`: formatted by hand, since JSONEncoder took
        /// a tenth of the daemon's time on `/v1/check` in `perf` profiles; keys in order,
        /// as `JSONBody.encode` writes them.
        var json: ByteBuffer { ByteBuffer(string: #"{"breached":\#(breached),"count":\#(count)}"#) }
    }

    struct BatchRequest: Decodable {
        var sha1: [String]?
        var ntlm: [String]?
    }

    struct BatchResponse: Encodable {
        struct Result: Encodable {
            var hash: String
            var breached: Bool
            var count: UInt64
        }
        var results: [Result]
    }

    let indexes: ServedIndexes
    let allowPlaintext: Bool

    func check(_ request: Request) async throws -> Response {
        let body: CheckRequest = try await JSONBody.decode(request, limit: Self.bodyLimit)
        return JSONBody.response(json: try answer(body).json)
    }

    /// The answer to one check, or the error to send instead.
    func answer(_ body: CheckRequest) throws(APIError) -> CheckResponse {
        let snapshot = indexes.snapshot
        let count: UInt64
        switch (body.password, body.sha1, body.ntlm) {
        case (let password?, nil, nil):
            guard allowPlaintext else {
                throw APIError.badRequest(
                    "plaintext_disabled", "this server accepts only hashes: send {\"sha1\": \"…\"}")
            }
            count = snapshot.sha1.count(ofPassword: password)
        case (nil, let hex?, nil):
            count = snapshot.sha1.count(of: try digest(hex, kind: .sha1))
        case (nil, nil, let hex?):
            count = try ntlmIndex(snapshot).count(of: try digest(hex, kind: .ntlm))
        default:
            throw APIError.badRequest("invalid_request", "send exactly one of \"password\", \"sha1\" or \"ntlm\"")
        }
        return CheckResponse(breached: count > 0, count: count)
    }

    func batch(_ request: Request) async throws -> Response {
        let body: BatchRequest = try await JSONBody.decode(request, limit: Self.bodyLimit)
        let snapshot = indexes.snapshot
        let (hexes, kind, index): ([String], HashKind, BreachIndex)
        switch (body.sha1, body.ntlm) {
        case (let list?, nil): (hexes, kind, index) = (list, .sha1, snapshot.sha1)
        case (nil, let list?): (hexes, kind, index) = (list, .ntlm, try ntlmIndex(snapshot))
        default:
            throw APIError.badRequest(
                "invalid_request", "send exactly one of \"sha1\" or \"ntlm\", a list of hex hashes")
        }
        guard hexes.count <= Self.batchLimit else {
            throw APIError(
                status: .contentTooLarge, code: "batch_too_large",
                message: "at most \(Self.batchLimit) hashes per batch")
        }
        var digests: [HashDigest] = []
        digests.reserveCapacity(hexes.count)
        for hex in hexes { digests.append(try digest(hex, kind: kind)) }
        let results = zip(digests, index.counts(of: digests)).map { digest, count in
            BatchResponse.Result(hash: Hex.string(digest, kind: kind), breached: count > 0, count: count)
        }
        return try JSONBody.response(BatchResponse(results: results))
    }

    private func digest(_ hex: String, kind: HashKind) throws(APIError) -> HashDigest {
        guard let digest = Hex.digest(hex, kind: kind) else {
            throw APIError.badRequest(
                "invalid_\(kind.rawValue)", "\"\(kind.rawValue)\" must be \(kind.hexDigitCount) hex digits")
        }
        return digest
    }

    private func ntlmIndex(_ snapshot: ServedIndexes.Snapshot) throws(APIError) -> BreachIndex {
        guard let ntlm = snapshot.ntlm else {
            throw APIError.badRequest("ntlm_unavailable", "this server has no NTLM index")
        }
        return ntlm
    }
}
