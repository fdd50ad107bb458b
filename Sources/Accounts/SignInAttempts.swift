import Foundation
import Synchronization

/// L1, L2: every check of a secret that guards an account (a sign-in password, a device
/// code, the current password of a change) is an attempt, and this is the one place
/// that runs one: reserve, check, settle.
///
/// Reserving first, by one conditional update that refuses when the account is locked
/// or at the cap, is what makes the lockout hold against parallel requests: a burst of
/// wrong guesses checks at most as many as the rules allow before the lock, however
/// many arrive at once. The reservation also sets the lock that the attempt brings if
/// it fails, so the lock is in force while the check runs. Then exactly one of three
/// settlements follows:
/// - a wrong answer keeps the count and the lock, and records them
///   (``Attempt/check(_:)`` returning false);
/// - a right answer that completes the sign-in clears both (``Attempt/succeed(in:)``);
/// - every other exit gives the attempt back, count and lock (``Attempt/release(in:)``,
///   or automatically when the body throws or returns unsettled): a right password that
///   still waits for a device code or a reset (L3, B3), a refusal before the check (a
///   per-client or per-account limit, an unavailable breach check, a hashing error).
///   Nothing was learnt against the owner there, so nothing may count against them.
struct SignInAttempts: Sendable {
    let store: any AccountStore
    let lockout: LockoutPolicy
    let links: OneTimeLinks
    let configuration: AccountConfiguration

    /// Runs `body` with the next attempt of `account`, or answers nil, running nothing,
    /// when the account takes no attempt now (locked, at the 100-failure cap, gone).
    /// Whatever `body` leaves unsettled — by throwing or by returning — is released.
    func withAttempt<T: Sendable>(on account: Account, at now: Date, _ body: (Attempt) async throws -> T) async throws
        -> T?
    {
        guard let attempt = try await reserve(account, at: now) else { return nil }
        let result: T
        do {
            result = try await body(attempt)
        } catch {
            try await attempt.releaseIfUnsettled(afterError: true)
            throw error
        }
        try await attempt.releaseIfUnsettled(afterError: false)
        return result
    }

    /// Takes the next attempt of the account. The account row is held while its count
    /// is read and written, so parallel requests take attempts one after another; the
    /// update's own conditions refuse in any case when locked, at the cap, or if the
    /// count moved.
    private func reserve(_ account: Account, at now: Date) async throws -> Attempt? {
        let number: Int? = try await store.transaction { [lockout, configuration] tx in
            guard let current = try await tx.lockedAccount(id: account.id), !lockout.isLocked(current, now: now) else {
                return nil
            }
            let number = current.failedSignIns + 1
            let reserved = try await tx.reserveAttempt(
                accountID: account.id, failures: current.failedSignIns,
                lockedUntil: lockout.lockUntil(afterFailures: number, now: now),
                cap: configuration.failuresBeforeResetRequired, at: now)
            return reserved ? number : nil
        }
        return number.map { Attempt(account: account, number: $0, at: now, attempts: self) }
    }

    /// A wrong answer to the `attempt`-th reserved attempt: the count and the lock were
    /// written by the reservation; this records them and, from the 10th on, sends the
    /// reset e-mail unless a reset link is already waiting (L1: reaching 10 by a burst,
    /// or past it after a reset link was used up, still mails one).
    fileprivate func recordFailure(of account: Account, attempt: Int, at now: Date) async throws {
        let token = links.newToken()
        try await store.transaction { [self] tx in
            try await tx.append(
                AuditEvent(at: now, accountID: account.id, kind: .signInFailed, detail: "consecutive=\(attempt)"))
            if let until = lockout.lockUntil(afterFailures: attempt, now: now) {
                try await tx.append(
                    AuditEvent(
                        at: now, accountID: account.id, kind: .lockout,
                        detail: until == .distantFuture ? "until reset" : "seconds=\(Int(until.timeIntervalSince(now)))"
                    ))
            }
            if attempt >= configuration.failuresBeforeResetEmail,
                try await !tx.hasUsableToken(accountID: account.id, purpose: .passwordReset, at: now)
            {
                try await links.sendReset(
                    to: account, token: token,
                    message: links.templates.failedSignInsReset(
                        token: token, failures: attempt,
                        hours: links.resetHours),
                    in: tx, at: now)
            }
        }
    }
}

/// One reserved attempt on an account (see ``SignInAttempts``).
final class Attempt: Sendable {
    enum State { case reserved, failed, settled }

    let account: Account
    /// The account's `number`-th consecutive attempt.
    let number: Int
    private let now: Date
    private let attempts: SignInAttempts
    private let state = Mutex(State.reserved)

    fileprivate init(account: Account, number: Int, at now: Date, attempts: SignInAttempts) {
        self.account = account
        self.number = number
        self.now = now
        self.attempts = attempts
    }

    /// Checks the secret; a wrong one is recorded as this attempt's failure (L1, L2)
    /// and settles it. `verify` answers whether the secret is right; if it throws, it
    /// checked nothing, and the attempt is given back.
    func check(_ verify: () async throws -> Bool) async throws -> Bool {
        if try await verify() { return true }
        // Settled before the record is written: the reservation already counted the failure
        // (and locked), so a record that fails to be written must not give the attempt back.
        state.withLock { $0 = .failed }
        try await attempts.recordFailure(of: account, attempt: number, at: now)
        return false
    }

    /// Whether a wrong answer ended the attempt with a lock (R4 ends the session then).
    var lockedTheAccount: Bool {
        state.withLock { $0 == .failed } && attempts.lockout.lockUntil(afterFailures: number, now: now) != nil
    }

    /// A right answer that completes the sign-in: the consecutive failures end, and
    /// with them the lock.
    func succeed(in tx: any AccountTransaction) async throws {
        try await tx.clearFailedSignIns(accountID: account.id)
        state.withLock { $0 = .settled }
    }

    /// Gives the attempt back in the caller's transaction (a right password that waits
    /// for a device code or a reset).
    func release(in tx: any AccountTransaction) async throws {
        try await tx.releaseAttempt(accountID: account.id, attempt: number)
        state.withLock { $0 = .settled }
    }

    /// After the body: an attempt neither failed nor settled is given back. After an
    /// error, a settlement made in a transaction that rolled back did not happen, so
    /// only a recorded failure stands; the release is conditional on the count being
    /// this attempt's, so after a committed settlement it changes nothing.
    fileprivate func releaseIfUnsettled(afterError: Bool) async throws {
        let current = state.withLock { $0 }
        guard current == .reserved || (afterError && current == .settled) else { return }
        try await attempts.store.transaction { [account, number] tx in
            try await tx.releaseAttempt(accountID: account.id, attempt: number)
        }
    }
}
