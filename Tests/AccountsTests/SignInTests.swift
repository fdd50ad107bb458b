import AccountTestSupport
import Accounts
import Testing

@Suite("Sign-in and lockout (B3, L1–L4)", .dropsTestDatabases, .accountTestTimeLimit)
struct SignInTests {
    @Test("Unknown login, wrong password and locked account all get one answer", arguments: StoreKind.all)
    func noUserEnumeration(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("ivy", on: kind) { fixture, login, _ in
            let unknown = await #expect(throws: AccountError.self) {
                try await fixture.service.signIn(login: fixture.address("nobody"), password: "guess-guess-guess")
            }
            let wrong = await #expect(throws: AccountError.self) {
                try await fixture.service.signIn(login: login, password: "guess-guess-guess")
            }
            #expect(unknown == .invalidCredentials && wrong == .invalidCredentials)
        }
    }

    @Test(
        "L2: failures from the 5th lock the account for growing times; a locked account takes no guesses",
        arguments: StoreKind.all)
    func lockoutGrows(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("jo", on: kind) { fixture, login, user in
            await fixture.failSignIns(login, times: 5)
            // Locked for 30 s: even the right password is refused, and not counted.
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
            }
            fixture.clock.advance(.seconds(31))
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(login: login, password: "wrong-password-1")
            }
            // The 6th failure locks for 60 s.
            fixture.clock.advance(.seconds(31))
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
            }
            fixture.clock.advance(.seconds(30))
            try await fixture.session(login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
            let events = try await fixture.store.auditEvents(accountID: user.accountID).map(\.kind)
            #expect(events.filter { $0 == .signInFailed }.count == 6)
            #expect(events.filter { $0 == .lockout }.count == 2)
        }
    }

    @Test(
        "L1: the 10th consecutive failure sends one password-reset e-mail; its link ends the lockout (L2)",
        arguments: StoreKind.all)
    func tenthFailureSendsReset(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("kim", on: kind) { fixture, login, _ in
            await fixture.failSignIns(login, times: 11, advancingClockBy: .seconds(3600))
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "10 failed sign-in attempts")
            // Locked now (the 11th failure); the reset link still works and unlocks.
            try await fixture.service.resetPassword(
                token: try #require(mail.token(forPath: "reset-password")), newPassword: "fresh-long-password-77")
            _ = try await fixture.signInThroughDeviceCheck(login, "fresh-long-password-77")
        }
    }

    @Test(
        "L2: after 100 consecutive failures only a reset unlocks, and the owner can always reset",
        arguments: StoreKind.all)
    func hundredFailuresRequireReset(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("lu", on: kind) { fixture, login, user in
            await fixture.failSignIns(login, times: 100, advancingClockBy: .seconds(3601))
            fixture.clock.advance(.seconds(30 * 24 * 3600))
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
            }
            try await fixture.service.requestPasswordReset(login: login)
            let links = try await fixture.resetLinks(to: login)
            try await fixture.service.resetPassword(
                token: try #require(links.last), newPassword: "fresh-long-password-88")
            _ = try await fixture.signInThroughDeviceCheck(login, "fresh-long-password-88")
        }
    }

    @Test("Parallel failed sign-ins are counted exactly", arguments: StoreKind.all)
    func parallelFailuresCountExactly(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("max", on: kind, configure: AccountFixture.distantLockout) {
            fixture, login, user in
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<12 {
                    group.addTask { _ = try? await fixture.service.signIn(login: login, password: "wrong-password-4") }
                }
            }
            let failures = try await fixture.failedSignIns(of: user.accountID)
            #expect(failures == 12)
        }
    }

    @Test(
        "B3: a password that became breached refuses sign-in and sends a reset; after the reset, sign-in works",
        arguments: StoreKind.all)
    func proactiveResetAtSignIn(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("ned", on: kind, password: "orchid-velvet-canyon-9") {
            fixture, login, user in
            try fixture.breaches.add("orchid-velvet-canyon-9")
            await #expect(throws: AccountError.passwordResetRequired) {
                try await fixture.service.signIn(
                    login: login, password: "orchid-velvet-canyon-9", deviceToken: user.deviceToken)
            }
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "must be reset")
            #expect(mail.body.contains("risky password"))
            try await fixture.service.resetPassword(
                token: try #require(mail.token(forPath: "reset-password")), newPassword: "new-orchid-password-10")
            _ = try await fixture.signInThroughDeviceCheck(login, "new-orchid-password-10")
        }
    }

    @Test("L3: an unknown device needs the e-mailed six-digit code, once; then it is known", arguments: StoreKind.all)
    func unknownDeviceNeedsCode(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("oz", on: kind) { fixture, login, _ in
            let (challenge, code) = try await fixture.pendingDeviceCode(login)
            let wrong = code == "000000" ? "000001" : "000000"
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: wrong)
            }
            let session = try await fixture.service.verifyDevice(challengeID: challenge, code: code)
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: code)
            }
            let device = try #require(session.deviceToken)
            // A known device should sign in directly.
            try await fixture.session(login, AccountFixture.goodPassword, deviceToken: device)
        }
    }

    @Test("L3: a device code expires after 10 minutes and after 5 wrong tries", arguments: StoreKind.all)
    func deviceCodeLimits(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("pia", on: kind) { fixture, login, _ in
            let first = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            let firstCode = try await fixture.latestCode(to: login)
            fixture.clock.advance(.seconds(601))
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: first, code: firstCode)
            }

            let second = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            let codes = try await fixture.mail(to: login).compactMap(\.code)
            let secondCode = try #require(codes.first { $0 != firstCode } ?? codes.last)
            let wrong = secondCode == "000000" ? "000001" : "000000"
            for _ in 1...5 {
                await #expect(throws: AccountError.invalidDeviceCode) {
                    try await fixture.service.verifyDevice(challengeID: second, code: wrong)
                }
            }
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: second, code: secondCode)
            }
        }
    }

    @Test(
        "L4: a session ends after 24 hours idle; use keeps it alive up to its absolute lifetime",
        arguments: StoreKind.all)
    func sessionTimeouts(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind, configure: { $0.sessionLifetime = .seconds(3 * 24 * 3600) }) {
            fixture, admin in
            let idle = try await fixture.activeUser("quin", by: admin)
            let busy = try await fixture.activeUser("rae", by: admin)
            for _ in 1...2 {
                fixture.clock.advance(.seconds(23 * 3600))
                _ = try await fixture.service.authenticate(sessionToken: busy.sessionToken)
            }
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.authenticate(sessionToken: idle.sessionToken)
            }
            fixture.clock.advance(.seconds(23 * 3600))
            _ = try await fixture.service.authenticate(sessionToken: busy.sessionToken)
            fixture.clock.advance(.seconds(3 * 3600 + 1))
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.authenticate(sessionToken: busy.sessionToken)
            }
        }
    }

    @Test("Signing out ends the session")
    func signOut() async throws {
        try await AccountFixture.withActiveUser("sol", on: .sqlite) { fixture, _, user in
            try await fixture.service.signOut(sessionToken: user.sessionToken)
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.authenticate(sessionToken: user.sessionToken)
            }
        }
    }
}
