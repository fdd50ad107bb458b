import Foundation

/// Where accounts live. Every change the rules make runs in one ``transaction(_:)``,
/// so that an e-mail written to the outbox commits or rolls back with its cause.
/// The SQLite and PostgreSQL stores (module AccountStorage) implement it.
public protocol AccountStore: Sendable {
    /// The key every node sharing the store shares: it seals the store's outbox and
    /// keys device codes' HMAC (``AccountSecretKey``).
    var secretKey: AccountSecretKey { get }

    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any AccountTransaction) async throws -> T) async throws
        -> T
}

/// The operations of one transaction. Counters and one-time tokens change by single
/// conditional statements, so that concurrent requests count exactly and a token is
/// used once however many requests race for it.
public protocol AccountTransaction: Sendable {
    // Accounts
    /// Inserts; false when the login is taken.
    func insert(_ account: Account) async throws -> Bool
    func account(login: String) async throws -> Account?
    func account(id: AccountID) async throws -> Account?
    /// D1: the accounts whose login or e-mail address contains `text` (lowercase), by login.
    func accounts(containing text: String, limit: Int) async throws -> [Account]
    /// The account, held until the transaction ends: another transaction that asks for
    /// it waits (so two requests never read the same failure count).
    func lockedAccount(id: AccountID) async throws -> Account?
    func setPassword(accountID: AccountID, hash: String, mustChange: Bool) async throws
    func setStatus(accountID: AccountID, _ status: AccountStatus) async throws
    func setRole(accountID: AccountID, _ role: Role) async throws
    /// L2: takes one attempt before it is checked, by one conditional update: the count
    /// goes from `failures` to `failures + 1` and the lock becomes `lockedUntil` (the lock
    /// that attempt brings if it fails). False, changing nothing, when the account is
    /// locked at `now`, has `cap` failures, or another request took attempt
    /// `failures + 1` first.
    func reserveAttempt(accountID: AccountID, failures: Int, lockedUntil: Date?, cap: Int, at now: Date) async throws
        -> Bool
    /// Gives back attempt `attempt`: the count goes back to `attempt - 1` and the lock its
    /// reservation set goes (the account was unlocked when it was reserved). Nothing
    /// when the count has moved on (a later attempt's count and lock are that attempt's).
    func releaseAttempt(accountID: AccountID, attempt: Int) async throws
    /// Back to zero failures and no lock (a success or a reset).
    func clearFailedSignIns(accountID: AccountID) async throws

    // One-time tokens (activation, reset)
    func insertToken(hash: TokenHash, purpose: TokenPurpose, accountID: AccountID, createdAt: Date, expiresAt: Date)
        async throws
    /// Marks every unused token of this purpose used (R3: only the newest link works).
    func revokeTokens(accountID: AccountID, purpose: TokenPurpose, at: Date) async throws
    /// Marks the token used if it is unused and unexpired, returning its account;
    /// nil otherwise. Exactly one of several concurrent calls gets the account.
    func consumeToken(hash: TokenHash, purpose: TokenPurpose, at: Date) async throws -> AccountID?
    /// Whether the token is unused and unexpired, without using it (to refuse a dead
    /// link before the Argon2 work of the password that came with it).
    func isUsableToken(hash: TokenHash, purpose: TokenPurpose, at: Date) async throws -> Bool
    /// Whether the account has an unused, unexpired token of this purpose (B3, L1: a
    /// reset link already on its way is not replaced).
    func hasUsableToken(accountID: AccountID, purpose: TokenPurpose, at: Date) async throws -> Bool

    // Devices (L3)
    func insert(_ challenge: DeviceChallenge) async throws
    /// Takes one try of an unused, unexpired challenge that has had fewer than
    /// `maximumTries`, by one conditional update, and returns it; nil when none is left.
    func reserveTry(challengeID: String, maximumTries: Int, at: Date) async throws -> DeviceChallenge?
    /// Challenges made for the account since `date` (L3: a cap per hour).
    func challengeCount(accountID: AccountID, since date: Date) async throws -> Int
    /// Marks the challenge used if it was not; false if another request did first.
    func consumeChallenge(id: String, at: Date) async throws -> Bool
    /// Ends every unused challenge of the account (a reset or change revokes them).
    func revokeChallenges(accountID: AccountID, at: Date) async throws
    /// Whether the device was made known at or after `since` (remembered devices expire).
    func isKnownDevice(accountID: AccountID, tokenHash: TokenHash, since: Date) async throws -> Bool
    func rememberDevice(accountID: AccountID, tokenHash: TokenHash, at: Date) async throws
    /// Forgets every known device of the account (a reset or change revokes them).
    func forgetDevices(accountID: AccountID) async throws

    // Sessions
    func insert(_ session: StoredSession) async throws
    func session(tokenHash: TokenHash) async throws -> StoredSession?
    func touchSession(tokenHash: TokenHash, at: Date) async throws
    func deleteSession(tokenHash: TokenHash) async throws
    /// Ends every session of the account but `keeping` (R: a reset or change signs out elsewhere).
    func deleteSessions(accountID: AccountID, keeping: TokenHash?) async throws

    // Outbox and audit
    func enqueue(_ message: OutgoingMessage) async throws
    /// Messages queued to `recipient` since `date` (the per-address limit). Holds the
    /// address until the transaction ends, so that of two concurrent requests for one
    /// address the second counts what the first queued: the limit cannot be passed by
    /// parallel requests.
    func messageCount(to recipient: String, since date: Date) async throws -> Int
    func append(_ event: AuditEvent) async throws
    /// D1: up to `limit` audit events, newest first; only those older than the event
    /// `before` when it is given (an unknown id gives none).
    func auditEntries(before: String?, limit: Int) async throws -> [AuditEntry]
}

/// The dispatcher's side of the outbox (R8).
public protocol OutboxStore: Sendable {
    /// Claims up to `limit` due, unsent messages for `lease`: no other dispatcher
    /// takes them until the lease ends, so several nodes never send one message twice
    /// at once, and a dispatcher that crashes mid-send leaves them for the next one.
    func claimDueMessages(now: Date, lease: Duration, limit: Int) async throws -> [OutgoingMessage]
    /// Records delivery and blanks the body (it may hold a link).
    func markSent(messageID: String, at: Date) async throws
    /// Records a failed attempt; the message is due again at `retryAt`.
    func markFailed(messageID: String, error: String, retryAt: Date) async throws
    /// Messages not yet sent (for operators and tests).
    func pendingMessageCount() async throws -> Int
}

/// Read access to the audit log.
public protocol AuditLog: Sendable {
    func auditEvents(accountID: AccountID) async throws -> [AuditEvent]
}
