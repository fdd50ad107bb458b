import AccountTestSupport
import Accounts
import BreachCheck
import Foundation
import Synchronization
import Testing

/// A breach checker that a test can take down or make run something mid-request.
final class ControlledChecker: BreachChecker {
    private let base: any BreachChecker
    private let state = Mutex<(down: Bool, once: (@Sendable () async throws -> Void)?)>((false, nil))

    init(_ base: any BreachChecker) { self.base = base }

    func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    /// Runs `action` during the next breach check, before it answers.
    func duringNextCheck(_ action: @escaping @Sendable () async throws -> Void) { state.withLock { $0.once = action } }

    func breachCount(ofPassword password: String) async throws -> UInt64 {
        let (down, once) = state.withLock { state in
            defer { state.once = nil }
            return (state.down, state.once)
        }
        try await once?()
        if down { throw URLError(.cannotConnectToHost) }
        return try await base.breachCount(ofPassword: password)
    }
}

/// Every exit of an attempt that did not check a secret gives the attempt back; only
/// wrong answers count (L1, L2), whatever refused the request after the reservation.
@Suite("Attempt settlement (L2, L3, B3)", .dropsTestDatabases, .accountTestTimeLimit)
struct AttemptSettlementTests {
    /// Runs `body` with a fixture whose breach checker the test controls and an active user `name`.
    private static func withControlledChecker(
        _ kind: StoreKind, user name: String,
        _ body: (AccountFixture, ControlledChecker, IssuedSession) async throws -> Void
    ) async throws {
        let checker = ControlledChecker(try BreachList(AccountFixture.breachedPasswords).checker)
        try await AccountFixture.withActiveUser(name, on: kind, checker: checker) { fixture, _, user in
            try await body(fixture, checker, user)
        }
    }

    @Test(
        "L2, L3: a device-code refusal (429) gives the attempt back: after 4 failures and 5 codes, the newest code still signs in",
        arguments: StoreKind.all)
    func deviceCodeCapReleasesTheAttempt(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("cap429", on: kind, failedSignIns: 4) { fixture, login, user in
            var newest: String?
            for _ in 1...5 {
                newest = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            }
            let refusal = await #expect(throws: AccountError.self) {
                try await fixture.service.signIn(login: login, password: AccountFixture.goodPassword)
            }
            guard case .tooManyRequests(let wait) = refusal else {
                Issue.record("expected 429, got \(String(describing: refusal))")
                return
            }
            #expect(wait > 0)
            #expect(try await fixture.failedSignIns(of: user.accountID) == 4)
            let code = try await fixture.latestCode(to: login)
            _ = try await fixture.service.verifyDevice(challengeID: try #require(newest), code: code)
        }
    }

    @Test(
        "L2: a breach-checker outage at sign-in counts nothing; the owner signs in when it is back",
        arguments: StoreKind.all)
    func breachCheckOutageReleasesTheAttempt(kind: StoreKind) async throws {
        try await Self.withControlledChecker(kind, user: "outage") { fixture, checker, user in
            let login = fixture.address("outage")
            checker.setDown(true)
            for _ in 1...8 {
                await #expect(throws: AccountError.breachCheckUnavailable) {
                    try await fixture.service.signIn(
                        login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
                }
            }
            #expect(try await fixture.failedSignIns(of: user.accountID) == 0)
            #expect(
                try await fixture.store.auditEvents(accountID: user.accountID).filter { $0.kind == .lockout }.isEmpty)
            checker.setDown(false)
            try await fixture.session(login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
        }
    }

    @Test(
        "L2, L3: one failure short of the cap, the right password's code still signs in (the code is not the cap's last attempt)",
        arguments: StoreKind.all)
    func codeOneShortOfTheCapSignsIn(kind: StoreKind) async throws {
        // The cap at 7 failures, the lockout and the reset e-mail out of the way.
        try await AccountFixture.withActiveUser(
            "cap", on: kind, failedSignIns: 6,
            configure: {
                AccountFixture.distantLockout(&$0)
                $0.failuresBeforeResetRequired = 7
            }
        ) { fixture, login, _ in
            _ = try await fixture.signInThroughDeviceCheck(login, AccountFixture.goodPassword)
        }
    }

    @Test(
        "B3: repeating a breached sign-in keeps the failure count and the first reset link, and sends one e-mail",
        arguments: StoreKind.all)
    func breachedSignInIsLimited(kind: StoreKind) async throws {
        let password = "soon-to-be-breached-77"
        try await AccountFixture.withActiveUser("b3", on: kind, password: password, failedSignIns: 3) {
            fixture, login, user in
            try fixture.breaches.add(password)
            for _ in 1...4 {
                await #expect(throws: AccountError.passwordResetRequired) {
                    try await fixture.service.signIn(login: login, password: password, deviceToken: user.deviceToken)
                }
            }
            #expect(try await fixture.failedSignIns(of: user.accountID) == 3)
            let resets = try await fixture.resetLinks(to: login)
            #expect(resets.count == 1)
            try await fixture.service.resetPassword(
                token: try #require(resets.first), newPassword: "fresh-unbreached-password-8")
        }
    }

    @Test(
        "A session is not issued for a password that a reset replaced between the check and the session",
        arguments: StoreKind.all)
    func sessionReReadsThePassword(kind: StoreKind) async throws {
        try await Self.withControlledChecker(kind, user: "race") { fixture, checker, user in
            let store = fixture.store
            // The B3 check runs after the password was verified and before the session is
            // issued: a reset committed there is what a concurrent reset looks like.
            checker.duringNextCheck {
                try await store.transaction { tx in
                    try await tx.setPassword(accountID: user.accountID, hash: "$argon2id$replaced", mustChange: false)
                }
            }
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: fixture.address("race"), password: AccountFixture.goodPassword, deviceToken: user.deviceToken
                )
            }
        }
    }

    @Test(
        "L2: past the hashing queue's limit a sign-in is refused busy with a wait, and its attempt is given back",
        arguments: StoreKind.all)
    func fullQueueRefusesAndReleases(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("busy", on: kind) { fixture, login, user in
            let saturated = fixture.anotherService { $0.hashingQueueLimit = 0 }
            for _ in 1...6 {
                let refusal = await #expect(throws: AccountError.self) {
                    try await saturated.signIn(
                        login: login, password: AccountFixture.goodPassword,
                        deviceToken: user.deviceToken
                    )
                }
                guard case .busy(let wait) = refusal else {
                    Issue.record("expected busy, got \(String(describing: refusal))")
                    return
                }
                #expect(wait >= 1)
            }
            #expect(try await fixture.failedSignIns(of: user.accountID) == 0)
            try await fixture.session(
                login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
        }
    }
}
