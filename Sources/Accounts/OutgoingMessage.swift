import Foundation

/// An e-mail or SMS waiting in the outbox. It is written in the same transaction as
/// the change that caused it and delivered later by the dispatcher (R8).
public struct OutgoingMessage: Sendable, Equatable {
    public enum Channel: String, Sendable {
        case email
        case sms
    }

    public var id: String
    public var channel: Channel
    public var recipient: String
    /// E-mail subject; empty for SMS.
    public var subject: String
    public var body: String
    public var createdAt: Date
    /// Delivery attempts so far.
    public var attempts: Int
    /// When the secret in the body (a link, a code) stops working: the message is not
    /// sent after it, and its body is dropped (secrets do not wait in the outbox for ever).
    public var expiresAt: Date?

    public init(
        id: String, channel: Channel, recipient: String, subject: String, body: String, createdAt: Date,
        attempts: Int = 0,
        expiresAt: Date? = nil
    ) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.createdAt = createdAt
        self.attempts = attempts
        self.expiresAt = expiresAt
    }
}
