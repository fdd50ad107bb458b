import AccountTestSupport
import Accounts
import Testing

@testable import AccountStorage

/// Guesses are counted before they are checked, whatever the secret (password, device
/// code, current password) and however many arrive at once.
@Suite("Guessing limits (L2, L3, R4)", .dropsTestDatabases, .accountTestTimeLimit)
struct GuessingLimitTests {
    @Test(
        "L2: 30 parallel wrong passwords check only the 5 before the lock; no 10th-failure e-mail (L1), no reset required",
        arguments: StoreKind.all)
    func parallelGuessesStopAtTheLock(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("burst", on: kind) { fixture, login, user in
            await withTaskGroup(of: Void.self) { group in
                for _ in 1...30 {
                    group.addTask {
                        _ = try? await fixture.service.signIn(login: login, password: "wrong-password-burst")
                    }
                }
            }
            let checked = try await fixture.store.auditEvents(accountID: user.accountID).filter {
                $0.kind == .signInFailed
            }
            #expect(checked.count == 5)
            #expect(try await fixture.mail(to: login).filter { $0.subject.contains("failed sign-in") }.isEmpty)
            // Only the first lock (30 s): the owner signs in after it, no reset needed.
            fixture.clock.advance(.seconds(31))
            try await fixture.session(login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
        }
    }

    @Test(
        "R4, L2: wrong current passwords count toward the lockout; at the lock the session ends",
        arguments: StoreKind.all)
    func currentPasswordGuessesEndTheSession(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("cur", on: kind) { fixture, login, user in
            for _ in 1...4 {
                await #expect(throws: AccountError.currentPasswordIncorrect) {
                    try await fixture.service.changePassword(
                        by: try await fixture.user(user.sessionToken), currentPassword: "not-the-current-one",
                        newPassword: "next-long-password-5", confirmation: "next-long-password-5")
                }
            }
            // The 5th wrong guess locks the account and ends the session that made it.
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.changePassword(
                    by: try await fixture.user(user.sessionToken), currentPassword: "not-the-current-one",
                    newPassword: "next-long-password-5", confirmation: "next-long-password-5")
            }
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.changePassword(
                    by: try await fixture.user(user.sessionToken), currentPassword: AccountFixture.goodPassword,
                    newPassword: "next-long-password-5", confirmation: "next-long-password-5")
            }
            // The lock holds for sign-in too.
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
            }
        }
    }

    @Test(
        "L3, L2: wrong device codes count toward the account's lockout, so new challenges give no new guesses",
        arguments: StoreKind.all)
    func wrongDeviceCodesLockTheAccount(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("dev", on: kind) { fixture, login, _ in
            var challenges = 0
            for _ in 1...10 {
                guard
                    case .deviceVerificationRequired(let challenge)? = try? await fixture.service.signIn(
                        login: login, password: AccountFixture.goodPassword)
                else { break }
                challenges += 1
                for _ in 1...2 {
                    await #expect(throws: AccountError.invalidDeviceCode) {
                        try await fixture.service.verifyDevice(challengeID: challenge, code: "abcdef")
                    }
                }
            }
            // The right password gives its attempt back (it waits for the code); the wrong codes
            // count: 2 on each of two challenges, and the 5th, on the third, locks.
            #expect(challenges == 3)
        }
    }

    @Test(
        "L2, L3: after 4 failures the right password and the right device code sign in; the lock is not the right password's",
        arguments: StoreKind.all)
    func rightPasswordAndCodeAfterFailuresSignIn(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("late", on: kind, failedSignIns: 4) { fixture, login, _ in
            let session = try await fixture.signInThroughDeviceCheck(login, AccountFixture.goodPassword)
            _ = try await fixture.service.authenticate(sessionToken: session.sessionToken)
        }
    }

    @Test(
        "L2, L3: after 4 failures the right password and a wrong device code lock the account", arguments: StoreKind.all
    )
    func wrongCodeAfterFailuresLocks(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("late", on: kind, failedSignIns: 4) { fixture, login, _ in
            let challenge = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: "abcdef")
            }
            // The wrong code was the 6th attempt: locked, so even the right code is not checked.
            let code = try await fixture.latestCode(to: login)
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: code)
            }
        }
    }

    @Test("L3: at most 5 device codes per account and hour", arguments: StoreKind.all)
    func deviceChallengesPerHour(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("cap", on: kind, configure: AccountFixture.distantLockout) {
            fixture, login, _ in
            var challenges = 0
            for _ in 1...7 {
                if case .deviceVerificationRequired? = try? await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword)
                {
                    challenges += 1
                }
            }
            #expect(challenges == 5)
            #expect(try await fixture.mail(to: login).filter { $0.subject.contains("verification code") }.count == 5)
            fixture.clock.advance(.seconds(3601))
            _ = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
        }
    }

    @Test(
        "L3: 30 parallel tries on one device code take at most 5, each counted on the account", arguments: StoreKind.all
    )
    func parallelDeviceCodeTries(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("par", on: kind, configure: AccountFixture.distantLockout) {
            fixture, login, user in
            let challenge = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            await withTaskGroup(of: Void.self) { group in
                for _ in 1...30 {
                    group.addTask {
                        _ = try? await fixture.service.verifyDevice(challengeID: challenge, code: "abcdef")
                    }
                }
            }
            // The handle is ID.SECRET; the store knows the id alone.
            let tries = try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "SELECT failed_attempts FROM device_challenges WHERE id = ?",
                    [.text(String(challenge.prefix { $0 != "." }))]
                )
                .first?.integer("failed_attempts")
            }
            #expect(tries == 5)
            let failed = try await fixture.store.auditEvents(accountID: user.accountID).filter {
                $0.kind == .signInFailed
            }
            #expect(failed.count == 5)
        }
    }
}
