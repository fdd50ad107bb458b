import BreachSupport
import Foundation

/// L3: a sign-in from a browser or device that is not recognised waits for a code
/// e-mailed to the account. The code works once, for ten minutes, and for a limited
/// number of tries, each taken before the code is compared; a wrong code is also a
/// failed attempt on the account (L2, through ``SignInAttempts``), so new challenges
/// give no new guesses. Only so many codes go out per account and hour, and per client.
struct DeviceVerification: Sendable {
    let configuration: AccountConfiguration
    let links: OneTimeLinks
    let templates: MessageTemplates
    let clients: ClientLimiter
    let random: any SecureRandomSource

    /// Makes a challenge for `account` and queues its code, in the caller's transaction;
    /// answers the challenge's identifier. Refused with ``AccountError/tooManyRequests(retryAfterSeconds:)``
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
        let challenge = DeviceChallenge(
            id: makeIdentifier(), accountID: account.id, codeHash: SecretToken.hash(code), createdAt: now,
            expiresAt: expiresAt)
        try await tx.insert(challenge)
        try await tx.enqueue(
            links.email(
                templates.deviceCode(code, minutes: Int(configuration.deviceCodeLifetime.timeInterval / 60)),
                to: account.email, at: now, secretExpiresAt: expiresAt))
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .deviceChallengeSent))
        return challenge.id
    }
}

extension AccountService {
    /// L3: the e-mailed code for an unrecognised device. Afterwards the device is known.
    public func verifyDevice(challengeID: String, code: String) async throws -> IssuedSession {
        let now = clock.now()
        let maximumTries = configuration.deviceCodeAttempts
        guard
            let challenge = try await store.transaction({ tx in
                try await tx.reserveTry(challengeID: challengeID, maximumTries: maximumTries, at: now)
            }),
            let account = try await store.transaction({ tx in try await tx.account(id: challenge.accountID) })
        else { throw AccountError.invalidDeviceCode }
        let session: IssuedSession?? = try await attempts.withAttempt(on: account, at: now) { [self] attempt in
            let entered = SecretToken.hash(code.trimmingCharacters(in: .whitespaces))
            guard try await attempt.check({ SecretToken.constantTimeEquals(entered, challenge.codeHash) }) else {
                throw AccountError.invalidDeviceCode
            }
            return try await store.transaction { [self] tx in
                // A reset or change since the code was sent revoked it (used_at is set).
                guard try await tx.consumeChallenge(id: challengeID, at: now),
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
