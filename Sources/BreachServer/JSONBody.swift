import Foundation
import Hummingbird

/// JSON in and out for the `/v1` routes.
public enum JSONBody {
    /// Decodes a JSON request body of at most `limit` bytes; 415, 413 or 400 otherwise.
    public static func decode<T: Decodable>(_ request: Request, limit: Int) async throws -> T {
        guard isJSON(contentType: request.headers[.contentType]) else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "send Content-Type: application/json")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw tooLarge(limit: limit)
        }
        return try decode(buffer)
    }

    /// The 413 to a request whose body is over `limit` bytes, read or declared.
    static func tooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, code: "body_too_large", message: "request bodies are limited to \(limit) bytes")
    }

    /// Decodes a whole JSON body; 400 if it is not the expected object.
    static func decode<T: Decodable>(_ buffer: ByteBuffer) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            // The decoder's message may quote the body, and the body may hold a password.
            throw APIError.badRequest("invalid_json", "the body is not the expected JSON object")
        }
    }

    static func isJSON(contentType: String?) -> Bool {
        contentType?.lowercased().hasPrefix("application/json") == true
    }

    /// The body of a JSON answer: keys sorted, so answers are byte-stable.
    static func encode(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try sortedJSON.encode(value))
    }

    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        response(json: try encode(value), status: status)
    }

    static func response(json: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: json))
    }
}
