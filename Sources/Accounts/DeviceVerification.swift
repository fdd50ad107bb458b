import BreachSupport
import Crypto
import Foundation

/// L3: a sign-in from a browser or device that is not recognised waits for a code
/// e-mailed to the account. The code works once, for ten minutes, and for a limited
/// number of tries, each taken before the code is compared; a wrong code is also a
/// failed attempt on the account (L2, through ``SignInAttempts``), so new challenges
/// give no new guesses. Only so many codes go out per account and hour, and per client.
///
/// The challenge is bound to the client that started it: sign-in hands that client a
/// handle, the challenge's identifier and a random secret made for it alone
/// (`ID.SECRET`), and the code is checked together with the secret. The store keeps
/// only an HMAC-SHA256, under a key derived from the store's secret key, of the
/// identifier, the secret and the code: reading the database gives neither the code
/// (no 10^6 guesses without the key and the secret) nor a way to answer it, and a code
/// read from the e-mail is no use to anyone but the client that asked for it.
struct DeviceVerification: Sendable {
    let configuration: AccountConfiguration
    let key: AccountSecretKey
    let links: OneTimeLinks
    let templates: MessageTemplates
    let clients: ClientLimiter
    let random: any SecureRandomSource

    /// Makes a challenge for `account` and queues its code, in the caller's transaction;
    /// answers the challenge's handle (for the client alone). Refused with ``AccountError/tooManyRequests(retryAfterSeconds:)``
    /// past the account's codes for the hour or the client's requests.
    func challenge(_ account: Account, client: ClientAddress?, in tx: any AccountTransaction, at now: Date) async throws
        -> String
    {
        let hour: TimeInterval = 3600
        guard
            try await tx.challengeCount(accountID: account.id, since: now.addingTimeInterval(-hour))
                < configuration.deviceChallengesPerHour
        else { throw AccountError.tooManyRequests(retryAfterSeconds: Int(hour)) }
        if let client, let wait = clients.admit(client, at: now) {
            throw AccountError.tooManyRequests(retryAfterSeconds: wait)
        }
        let code = SecretToken.sixDigitCode(using: random)
        let expiresAt = now.addingTimeInterval(configuration.deviceCodeLifetime.timeInterval)
        let handle = Handle(id: makeIdentifier(), secret: SecretToken.make(using: random))
        let challenge = DeviceChallenge(
            id: handle.id, accountID: account.id, codeHash: codeHash(code, for: handle), createdAt: now,
            expiresAt: expiresAt)
        try await tx.insert(challenge)
        try await tx.enqueue(
            links.email(
                templates.deviceCode(code, minutes: Int(configuration.deviceCodeLifetime.timeInterval / 60)),
                to: account.email, at: now, secretExpiresAt: expiresAt))
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .deviceChallengeSent))
        return handle.text
    }

    /// What is stored of a code: HMAC-SHA256 of the handle and the code (as entered,
    /// white space around it ignored), in hex.
    func codeHash(_ code: String, for handle: Handle) -> TokenHash {
        let message = Data("\(handle.id)\n\(handle.secret)\n\(code.trimmingCharacters(in: .whitespaces))".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key.deviceCodeKey)
        return TokenHash(hex: mac.map { String(format: "%02x", $0) }.joined())
    }

    /// A challenge as its client holds it: `ID.SECRET`. Anything else names the
    /// challenge with no secret, which then fails like a wrong code.
    struct Handle {
        var id: String
        var secret: String

        init(id: String, secret: String) {
            self.id = id
            self.secret = secret
        }

        init(parsing text: String) {
            let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            id = String(parts[0])
            secret = parts.count > 1 ? String(parts[1]) : ""
        }

        var text: String { "\(id).\(secret)" }
    }
}

extension AccountService {
    /// L3: the e-mailed code for an unrecognised device. Afterwards the device is known.
    /// `challengeID` is the handle sign-in gave this client
    /// (``SignInResult/deviceVerificationRequired(challengeID:)``); a handle without its
    /// secret (another client's challenge) counts as a wrong code.
    public func verifyDevice(challengeID: String, code: String) async throws -> IssuedSession {
        let now = clock.now()
        let maximumTries = configuration.deviceCodeAttempts
        let handle = DeviceVerification.Handle(parsing: challengeID)
        guard
            let challenge = try await store.transaction({ tx in
                try await tx.reserveTry(challengeID: handle.id, maximumTries: maximumTries, at: now)
            }),
            let account = try await store.transaction({ tx in try await tx.account(id: challenge.accountID) })
        else { throw AccountError.invalidDeviceCode }
        let session: IssuedSession?? = try await attempts.withAttempt(on: account, at: now) { [self] attempt in
            let entered = devices.codeHash(code, for: handle)
            guard try await attempt.check({ SecretToken.constantTimeEquals(entered, challenge.codeHash) }) else {
                throw AccountError.invalidDeviceCode
            }
            return try await store.transaction { [self] tx in
                // A reset or change since the code was sent revoked it (used_at is set).
                guard try await tx.consumeChallenge(id: handle.id, at: now),
                    let current = try await tx.account(id: account.id), current.status == .active
                else { return nil }
                try await attempt.succeed(in: tx)
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .deviceVerified))
                return try await sessions.issue(for: current, rememberingDevice: true, in: tx, at: now)
            }
        }
        guard let session = session ?? nil else { throw AccountError.invalidDeviceCode }
        return session
    }
}
