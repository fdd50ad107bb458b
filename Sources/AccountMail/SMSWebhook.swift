import Accounts
import AsyncHTTPClient
import BreachSupport
import Foundation
import NIOCore

/// Sends SMS through an HTTP gateway: `POST` of `{"id", "to", "message"}` as JSON, with
/// `Idempotency-Key` set to the message id so a gateway can drop a repeated delivery, and
/// `Authorization: Bearer` when a token is given (so that no secret need be in the URL).
public struct SMSWebhook: MessageTransport {
    public let url: String
    public let bearerToken: String?
    public let timeout: Duration
    private let client: HTTPClient

    public init(url: String, bearerToken: String? = nil, timeout: Duration = .seconds(10), client: HTTPClient = .shared)
    {
        self.url = url
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.client = client
    }

    /// Whether the bearer token would cross a network in plain text: `http://` to a host
    /// that is not a loopback address (the daemon warns at start).
    public var sendsTokenInPlainText: Bool {
        guard bearerToken != nil, let components = URLComponents(string: url),
            components.scheme?.lowercased() == "http", let host = components.host
        else { return false }
        return !SMTPConfiguration.isLoopback(host)
    }

    public func deliver(_ message: OutgoingMessage) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: message.id)
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let payload = try JSONSerialization.data(
            withJSONObject: ["id": message.id, "to": message.recipient, "message": message.body], options: [.sortedKeys]
        )
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout))
        } catch {
            throw DeliveryError("SMS webhook \(redactedURL(url)): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw DeliveryError("SMS webhook \(redactedURL(url)): HTTP \(response.status.code)")
        }
    }
}
