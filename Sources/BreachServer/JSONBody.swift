import Foundation
import Hummingbird

/// JSON in and out for the `/v1` routes.
enum JSONBody {
    /// Decodes a JSON request body of at most `limit` bytes; 415, 413 or 400 otherwise.
    static func decode<T: Decodable>(_ request: Request, limit: Int) async throws -> T {
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/json") else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "send Content-Type: application/json")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request bodies are limited to \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            // The decoder's message may quote the body, and the body may hold a password.
            throw APIError.badRequest("invalid_json", "the body is not the expected JSON object")
        }
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try sortedJSON.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
