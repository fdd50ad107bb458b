import AccountTestSupport
import Accounts
import Testing

@Suite("Password reset and change (B2, B4, R1–R4)", .dropsTestDatabases, .accountTestTimeLimit)
struct PasswordResetTests {
    @Test(
        "R1: \"Forgot my password\" e-mails a link that sets a new password; an unknown address gets the same answer and no e-mail",
        arguments: StoreKind.all)
    func forgotPassword(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("ann", on: kind) { fixture, login, user in
            try await fixture.service.requestPasswordReset(login: login)
            try await fixture.service.requestPasswordReset(login: fixture.address("nobody"))
            #expect(try await fixture.mail(to: fixture.address("nobody")).isEmpty)
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "Reset your")
            #expect(mail.body.contains("expires in 24 hours"))
            try await fixture.service.resetPassword(
                token: try #require(mail.token(forPath: "reset-password")), newPassword: "brand-new-password-1")
            // Every session ended with the reset.
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.authenticate(sessionToken: user.sessionToken)
            }
            // Known devices ended too (R1 revokes them): the new password signs in after a device code.
            _ = try await fixture.signInThroughDeviceCheck(login, "brand-new-password-1")
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(
                    login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
            }
        }
    }

    @Test("R2: a reset link expires after 24 hours", arguments: StoreKind.all)
    func resetLinkExpires(kind: StoreKind) async throws {
        try await AccountFixture.withResetLink("ben", on: kind) { fixture, _, token in
            fixture.clock.advance(.seconds(24 * 3600 + 1))
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.resetPassword(token: token, newPassword: "brand-new-password-2")
            }
        }
    }

    @Test("R3: a new reset e-mail stops every earlier link; each link works once", arguments: StoreKind.all)
    func onlyNewestLinkWorks(kind: StoreKind) async throws {
        try await AccountFixture.withResetLink("cal", on: kind) { fixture, login, first in
            try await fixture.service.requestPasswordReset(login: login)
            let links = try await fixture.resetLinks(to: login)
            let second = try #require(links.first { $0 != first })
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.resetPassword(token: first, newPassword: "brand-new-password-3")
            }
            try await fixture.service.resetPassword(token: second, newPassword: "brand-new-password-3")
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.resetPassword(token: second, newPassword: "brand-new-password-4")
            }
        }
    }

    @Test("Two simultaneous uses of one reset link: exactly one wins", arguments: StoreKind.all)
    func concurrentResetExactlyOneWins(kind: StoreKind) async throws {
        try await AccountFixture.withResetLink("dan", on: kind) { fixture, _, token in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for attempt in 0..<2 {
                    group.addTask {
                        (try? await fixture.service.resetPassword(
                            token: token, newPassword: "racing-password-\(attempt)x"))
                            != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
    }

    @Test(
        "B2: a breached password in a reset is \"That password is unsafe.\", and the link still works",
        arguments: StoreKind.all)
    func breachedPasswordInReset(kind: StoreKind) async throws {
        try await AccountFixture.withResetLink("eli", on: kind) { fixture, _, token in
            let error = await #expect(throws: AccountError.unsafePassword) {
                try await fixture.service.resetPassword(token: token, newPassword: "letmein!2024")
            }
            #expect(error?.message == "That password is unsafe.")
            try await fixture.service.resetPassword(token: token, newPassword: "brand-new-password-5")
        }
    }

    @Test(
        "R4, B4: a change needs the current password and the new one twice, is breach-checked, and ends the other sessions",
        arguments: StoreKind.all)
    func changePassword(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("fox", on: kind) { fixture, login, here in
            let elsewhere = try await fixture.signInThroughDeviceCheck(
                login, AccountFixture.goodPassword)
            let service = fixture.service
            await #expect(throws: AccountError.passwordConfirmationMismatch) {
                try await service.changePassword(
                    by: try await fixture.user(here.sessionToken), currentPassword: AccountFixture.goodPassword,
                    newPassword: "changed-password-11", confirmation: "changed-password-12")
            }
            await #expect(throws: AccountError.currentPasswordIncorrect) {
                try await service.changePassword(
                    by: try await fixture.user(here.sessionToken), currentPassword: "not-my-password",
                    newPassword: "changed-password-11", confirmation: "changed-password-11")
            }
            await #expect(throws: AccountError.breachedPassword) {
                try await service.changePassword(
                    by: try await fixture.user(here.sessionToken), currentPassword: AccountFixture.goodPassword,
                    newPassword: "password123", confirmation: "password123")
            }
            await #expect(throws: AccountError.passwordTooShort(minimum: 8)) {
                try await service.changePassword(
                    by: try await fixture.user(here.sessionToken), currentPassword: AccountFixture.goodPassword,
                    newPassword: "short", confirmation: "short")
            }
            try await service.changePassword(
                by: try await fixture.user(here.sessionToken), currentPassword: AccountFixture.goodPassword,
                newPassword: "changed-password-11", confirmation: "changed-password-11")
            _ = try await service.authenticate(sessionToken: here.sessionToken)
            await #expect(throws: AccountError.notSignedIn) {
                try await service.authenticate(sessionToken: elsewhere.sessionToken)
            }
            _ = try await fixture.onlyMail(to: login, subjectContaining: "was changed")
        }
    }

    @Test("NIST 800-63B: 8 characters at least, 64 and more allowed, no composition rules")
    func passwordLength() async throws {
        try await AccountFixture.with(.sqlite) { fixture in
            await #expect(throws: AccountError.passwordTooShort(minimum: 8)) {
                try await fixture.service.createAdministrator(email: fixture.address("a"), password: "seven77")
            }
            _ = try await fixture.service.createAdministrator(
                email: fixture.address("b"), password: "alllowercaseletters")
            _ = try await fixture.service.createAdministrator(
                email: fixture.address("c"), password: String(repeating: "long phrase ", count: 8))
            let admin = try await fixture.administrator()
            let phone = await #expect(throws: AccountError.invalidPhone) {
                try await fixture.invite("d", phone: "12-ab", by: admin)
            }
            #expect(phone?.code == "invalid_phone")
        }
    }
}
