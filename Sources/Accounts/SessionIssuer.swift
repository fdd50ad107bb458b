import BreachSupport
import Foundation

/// L3, L4: sessions and remembered devices. Their tokens are handed out once and stored
/// only as hashes. A session ends after the idle timeout (L4) or its lifetime; a device
/// is remembered for `rememberedDeviceLifetime`, then asked for a code again (L3).
struct SessionIssuer: Sendable {
    let store: any AccountStore
    let configuration: AccountConfiguration
    let random: any SecureRandomSource

    /// A new session for `account`; `rememberingDevice` also makes the device known
    /// (after a device code, or an e-mailed link that proved the address).
    func issue(for account: Account, rememberingDevice: Bool, in tx: any AccountTransaction, at now: Date) async throws
        -> IssuedSession
    {
        let token = SecretToken.make(using: random)
        let session = StoredSession(
            tokenHash: SecretToken.hash(token), accountID: account.id, createdAt: now, lastSeenAt: now,
            expiresAt: now.addingTimeInterval(configuration.sessionLifetime.timeInterval))
        try await tx.insert(session)
        var deviceToken: String?
        if rememberingDevice {
            let device = SecretToken.make(using: random)
            try await tx.rememberDevice(accountID: account.id, tokenHash: SecretToken.hash(device), at: now)
            deviceToken = device
        }
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .signInSucceeded))
        return IssuedSession(
            accountID: account.id, sessionToken: token, expiresAt: session.expiresAt,
            deviceToken: deviceToken, mustChangePassword: account.mustChangePassword)
    }

    /// L3: whether `deviceToken` names a device of the account remembered recently enough.
    func isKnownDevice(_ deviceToken: String?, of accountID: AccountID, in tx: any AccountTransaction, at now: Date)
        async throws -> Bool
    {
        guard let deviceToken else { return false }
        return try await tx.isKnownDevice(
            accountID: accountID, tokenHash: SecretToken.hash(deviceToken),
            since: now.addingTimeInterval(-configuration.rememberedDeviceLifetime.timeInterval))
    }

    /// The account behind a session token; refreshes the idle timer (L4). An idle or
    /// expired session, or one whose account is no longer active, is ended.
    func authenticate(_ sessionToken: String, from origin: RequestOrigin, at now: Date) async throws
        -> AuthenticatedUser
    {
        let hash = SecretToken.hash(sessionToken)
        let idle = configuration.sessionIdleTimeout.timeInterval
        let user: AuthenticatedUser? = try await store.transaction { tx in
            guard let session = try await tx.session(tokenHash: hash) else { return nil }
            guard session.expiresAt > now, now.timeIntervalSince(session.lastSeenAt) < idle,
                let account = try await tx.account(id: session.accountID), account.status == .active
            else {
                try await tx.deleteSession(tokenHash: hash)
                return nil
            }
            try await tx.touchSession(tokenHash: hash, at: now)
            return AuthenticatedUser(
                accountID: account.id, login: account.login, email: account.email, role: account.role,
                authentication: account.authentication, mustChangePassword: account.mustChangePassword,
                origin: origin, sessionTokenHash: hash)
        }
        guard let user else { throw AccountError.notSignedIn }
        return user
    }

    func signOut(_ sessionToken: String, at now: Date) async throws {
        let hash = SecretToken.hash(sessionToken)
        try await store.transaction { tx in
            guard let session = try await tx.session(tokenHash: hash) else { return }
            try await tx.deleteSession(tokenHash: hash)
            try await tx.append(AuditEvent(at: now, accountID: session.accountID, kind: .signedOut))
        }
    }

    /// Ends one session (R4: its account locked while it guessed the current password).
    func end(_ user: AuthenticatedUser, reason: String, at now: Date) async throws {
        try await store.transaction { tx in
            try await tx.deleteSession(tokenHash: user.sessionTokenHash)
            try await tx.append(AuditEvent(at: now, accountID: user.accountID, kind: .signedOut, detail: reason))
        }
    }
}
