import Foundation

/// L1, L2: every check of a secret that guards an account (a sign-in password, a device
/// code, the current password of a change) is an attempt, counted before it is made.
///
/// Reserving first, by one conditional update that refuses when the account is locked
/// or at the cap, is what makes the lockout hold against parallel requests: a burst of
/// wrong guesses checks at most as many as the rules allow before the lock, however
/// many arrive at once. The reservation also sets the lock that the attempt brings if
/// it fails, so the lock is in force while the check runs; a right answer clears both
/// (``clear(accountID:in:)``), a wrong one only writes its consequences
/// (``recordFailure(of:attempt:at:)``).
struct SignInAttempts: Sendable {
    let store: any AccountStore
    let lockout: LockoutPolicy
    let links: OneTimeLinks
    let configuration: AccountConfiguration

    enum Reservation: Equatable {
        /// The attempt may be checked; it is the account's `number`-th consecutive one.
        case reserved(number: Int)
        /// Locked, at the 100-failure cap, or unknown: check nothing.
        case refused
    }

    /// Takes the next attempt of the account. The account row is held while its count
    /// is read and written, so parallel requests take attempts one after another; the
    /// update's own conditions refuse in any case when locked, at the cap, or if the
    /// count moved.
    func reserve(accountID: AccountID, at now: Date) async throws -> Reservation {
        try await store.transaction { [lockout, configuration] tx in
            guard let account = try await tx.lockedAccount(id: accountID), !lockout.isLocked(account, now: now) else { return .refused }
            let number = account.failedSignIns + 1
            let reserved = try await tx.reserveAttempt(accountID: accountID, failures: account.failedSignIns,
                                                       lockedUntil: lockout.lockUntil(afterFailures: number, now: now),
                                                       cap: configuration.failuresBeforeResetRequired, at: now)
            return reserved ? .reserved(number: number) : .refused
        }
    }

    /// A right password whose sign-in waits for a device code (L3): the attempt stays
    /// counted, as the sign-in is not complete, but the lock its reservation set goes,
    /// since the password was right; otherwise the code that completes the sign-in
    /// would find the account locked.
    func release(accountID: AccountID, attempt: Int, in tx: any AccountTransaction) async throws {
        try await tx.releaseLock(accountID: accountID, attempt: attempt)
    }

    /// A right answer: the consecutive failures end, and with them the lock.
    func clear(accountID: AccountID, in tx: any AccountTransaction) async throws {
        try await tx.clearFailedSignIns(accountID: accountID)
    }

    /// A wrong answer to the `attempt`-th reserved attempt: the count and the lock were
    /// written by the reservation; this records them and, at the 10th, sends the reset
    /// e-mail (L1).
    func recordFailure(of account: Account, attempt: Int, at now: Date) async throws {
        let token = links.newToken()
        try await store.transaction { [self] tx in
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .signInFailed, detail: "consecutive=\(attempt)"))
            if let until = lockout.lockUntil(afterFailures: attempt, now: now) {
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .lockout,
                                               detail: until == .distantFuture ? "until reset" : "seconds=\(Int(until.timeIntervalSince(now)))"))
            }
            if attempt == configuration.failuresBeforeResetEmail {
                try await links.sendReset(to: account, token: token, message: links.templates.failedSignInsReset(token: token, failures: attempt,
                                                                                                             hours: links.resetHours),
                                          in: tx, at: now)
            }
        }
    }
}
