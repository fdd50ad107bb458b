import Accounts

/// Delivers one outbox message: SMTP for e-mail, an HTTP webhook for SMS. Throwing
/// means "not delivered, try again later".
public protocol MessageTransport: Sendable {
    func deliver(_ message: OutgoingMessage) async throws
}

/// A delivery that failed; names the server and the step, never the message body.
public struct DeliveryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body`, throwing ``DeliveryError`` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeliveryError("\(what): no answer within \(timeout)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
