import Accounts
import Testing

/// What a new password ends: known devices, pending device codes and reset links.
@Suite("Remembered devices and revocation (L3, R3, R4)", .dropsTestDatabases)
struct RevocationTests {
    @Test("L3: a remembered device is asked for a code again after 30 days", arguments: StoreKind.all)
    func rememberedDevicesExpire(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind) { $0.sessionIdleTimeout = .seconds(60 * 24 * 3600) }
        let admin = try await fixture.administrator()
        let user = try await fixture.activeUser("mem", by: admin)
        let login = fixture.address("mem")
        fixture.clock.advance(.seconds(29 * 24 * 3600))
        guard
            case .signedIn = try await fixture.service.signIn(
                login: login, password: AccountFixture.goodPassword, deviceToken: user.deviceToken)
        else {
            Issue.record("the device should still be known after 29 days")
            return
        }
        fixture.clock.advance(.seconds(2 * 24 * 3600))
        guard
            case .deviceVerificationRequired = try await fixture.service.signIn(
                login: login, password: AccountFixture.goodPassword,
                deviceToken: user.deviceToken)
        else {
            Issue.record("the device should be forgotten after 30 days")
            return
        }
        try await fixture.close()
    }

    @Test(
        "R4: a password change revokes known devices, pending device codes and earlier reset links",
        arguments: StoreKind.all)
    func passwordChangeRevokes(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        let user = try await fixture.activeUser("chg", by: admin)
        let login = fixture.address("chg")
        try await fixture.service.requestPasswordReset(login: login)
        let link = try #require(
            try await fixture.onlyMail(to: login, subjectContaining: "Reset your").token(forPath: "reset-password"))
        let challenge = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
        let code = try #require(try await fixture.onlyMail(to: login, subjectContaining: "verification code").code)
        try await fixture.service.changePassword(
            by: try await fixture.user(user.sessionToken), currentPassword: AccountFixture.goodPassword,
            newPassword: "changed-long-password-6", confirmation: "changed-long-password-6")
        await #expect(throws: AccountError.invalidLink) {
            try await fixture.service.resetPassword(token: link, newPassword: "stolen-link-password-7")
        }
        await #expect(throws: AccountError.invalidDeviceCode) {
            try await fixture.service.verifyDevice(challengeID: challenge, code: code)
        }
        guard
            case .deviceVerificationRequired = try await fixture.service.signIn(
                login: login, password: "changed-long-password-6",
                deviceToken: user.deviceToken)
        else {
            Issue.record("the device should be forgotten after the change")
            return
        }
        try await fixture.close()
    }

    @Test("R1: a reset revokes known devices and pending device codes", arguments: StoreKind.all)
    func resetRevokes(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        let user = try await fixture.activeUser("rst", by: admin)
        let login = fixture.address("rst")
        let challenge = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
        let code = try #require(try await fixture.onlyMail(to: login, subjectContaining: "verification code").code)
        try await fixture.service.requestPasswordReset(login: login)
        let link = try #require(
            try await fixture.onlyMail(to: login, subjectContaining: "Reset your").token(forPath: "reset-password"))
        try await fixture.service.resetPassword(token: link, newPassword: "reset-long-password-8")
        await #expect(throws: AccountError.invalidDeviceCode) {
            try await fixture.service.verifyDevice(challengeID: challenge, code: code)
        }
        guard
            case .deviceVerificationRequired = try await fixture.service.signIn(
                login: login, password: "reset-long-password-8",
                deviceToken: user.deviceToken)
        else {
            Issue.record("the device should be forgotten after the reset")
            return
        }
        try await fixture.close()
    }
}
