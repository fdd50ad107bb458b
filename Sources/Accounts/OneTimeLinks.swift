import BreachSupport
import Foundation

/// A2, R1–R3: the links e-mailed for activation and resets. One piece makes the token,
/// stores only its hash with its expiry, and queues the e-mail that carries it, in the
/// caller's transaction, so the link exists exactly when its e-mail will go out.
struct OneTimeLinks: Sendable {
    let configuration: AccountConfiguration
    let templates: MessageTemplates
    let random: any SecureRandomSource

    func newToken() -> String { SecretToken.make(using: random) }

    /// R2: how long a reset link works, in whole hours (for the e-mails' wording).
    var resetHours: Int { Int(configuration.resetLinkLifetime.timeInterval / 3600) }

    func lifetime(of purpose: TokenPurpose) -> Duration {
        switch purpose {
        case .activation: configuration.activationLifetime
        case .passwordReset: configuration.resetLinkLifetime
        }
    }

    /// Stores `token` for `purpose` and queues `message` (which carries it) to the account.
    func send(
        _ purpose: TokenPurpose, token: String, message: MessageTemplates.Email, to account: Account,
        in tx: any AccountTransaction, at now: Date
    ) async throws {
        let expiresAt = now.addingTimeInterval(lifetime(of: purpose).timeInterval)
        try await tx.insertToken(
            hash: SecretToken.hash(token), purpose: purpose, accountID: account.id, createdAt: now, expiresAt: expiresAt
        )
        try await tx.enqueue(email(message, to: account.email, at: now, secretExpiresAt: expiresAt))
    }

    /// R2, R3: a new single-use reset link that ends every earlier one.
    func sendReset(
        to account: Account, token: String, message: MessageTemplates.Email, in tx: any AccountTransaction, at now: Date
    ) async throws {
        try await tx.revokeTokens(accountID: account.id, purpose: .passwordReset, at: now)
        try await send(.passwordReset, token: token, message: message, to: account, in: tx, at: now)
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .passwordResetRequested))
    }

    /// An e-mail for the outbox; one that carries a secret is dropped unsent once the
    /// secret has expired.
    func email(_ message: MessageTemplates.Email, to recipient: String, at now: Date, secretExpiresAt: Date? = nil)
        -> OutgoingMessage
    {
        OutgoingMessage(
            id: makeIdentifier(), channel: .email, recipient: recipient, subject: message.subject,
            body: message.body, createdAt: now, expiresAt: secretExpiresAt)
    }
}
