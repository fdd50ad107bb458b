import Foundation
import Hummingbird

/// An error answered as JSON: `{"error": {"code": "invalid_sha1", "message": "…"}}`.
public struct APIError: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// A longer text for people, where a rule gives one (B1, B2).
    public var explanation: String?
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
            let explanation: String?
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headersWithContentType, body: .init(byteBuffer: try body()))
    }

    var headersWithContentType: HTTPFields {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return headers
    }

    func body() throws -> ByteBuffer {
        ByteBuffer(
            bytes: try sortedJSON.encode(Body(error: .init(code: code, message: message, explanation: explanation))))
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }
}

/// JSON with keys in a fixed order, so answers are byte-stable for clients and tests.
let sortedJSON: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}()
