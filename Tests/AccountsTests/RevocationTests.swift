import AccountTestSupport
import Accounts
import Testing

/// What a new password ends: known devices, pending device codes and reset links.
@Suite("Remembered devices and revocation (L3, R3, R4)", .dropsTestDatabases, .accountTestTimeLimit)
struct RevocationTests {
    @Test("L3: a remembered device is asked for a code again after 30 days", arguments: StoreKind.all)
    func rememberedDevicesExpire(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser(
            "mem",
            on:
                kind, configure: { $0.sessionIdleTimeout = .seconds(60 * 24 * 3600) }
        ) { fixture, login, user in
            fixture.clock.advance(.seconds(29 * 24 * 3600))
            // The device should still be known after 29 days.
            try await fixture.session(login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
            fixture.clock.advance(.seconds(2 * 24 * 3600))
            // The device should be forgotten after 30 days.
            _ = try await fixture.deviceChallenge(login, AccountFixture.goodPassword, deviceToken: user.deviceToken)
        }
    }

    @Test(
        "R4: a password change revokes known devices, pending device codes and earlier reset links",
        arguments: StoreKind.all)
    func passwordChangeRevokes(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("chg", on: kind) { fixture, login, user in
            let link = try await fixture.requestedResetLink(for: login)
            let (challenge, code) = try await fixture.pendingDeviceCode(login)
            try await fixture.service.changePassword(
                by: try await fixture.user(user.sessionToken), currentPassword: AccountFixture.goodPassword,
                newPassword: "changed-long-password-6", confirmation: "changed-long-password-6")
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.resetPassword(token: link, newPassword: "stolen-link-password-7")
            }
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: code)
            }
            // The device should be forgotten after the change.
            _ = try await fixture.deviceChallenge(login, "changed-long-password-6", deviceToken: user.deviceToken)
        }
    }

    @Test("R1: a reset revokes known devices and pending device codes", arguments: StoreKind.all)
    func resetRevokes(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("rst", on: kind) { fixture, login, user in
            let (challenge, code) = try await fixture.pendingDeviceCode(login)
            let link = try await fixture.requestedResetLink(for: login)
            try await fixture.service.resetPassword(token: link, newPassword: "reset-long-password-8")
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await fixture.service.verifyDevice(challengeID: challenge, code: code)
            }
            // The device should be forgotten after the reset.
            _ = try await fixture.deviceChallenge(login, "reset-long-password-8", deviceToken: user.deviceToken)
        }
    }
}
