import AccountTestSupport
import Accounts
import Testing

@Suite("Administration (D1, R5, R6)", .dropsTestDatabases, .accountTestTimeLimit)
struct AdministrationTests {
    @Test(
        "R5: a super-administrator or user administrator can send another user the reset e-mail; a user gets 403",
        arguments: StoreKind.all)
    func adminSendsReset(kind: StoreKind) async throws {
        try await AccountFixture.withEveryRole(kind) { fixture, admin, helper, plain in
            _ = try await fixture.activeUser("target", by: admin)
            let target = fixture.address("target")
            let error = await #expect(throws: AccountError.forbidden) {
                try await fixture.service.adminSendPasswordReset(
                    login: target, by: try await fixture.user(plain.sessionToken))
            }
            #expect(error?.message == "You do not have permission to do this.")
            try await fixture.service.adminSendPasswordReset(
                login: target, by: try await fixture.user(helper.sessionToken))
            try await fixture.service.adminSendPasswordReset(login: target, by: try await fixture.user(admin))
            let links = try await fixture.resetLinks(to: target)
            #expect(links.count == 2)
            try await fixture.service.resetPassword(token: links[1], newPassword: "admin-sent-password-1")
        }
    }

    @Test(
        "R6: an administrator sets a password; the user must change it before anything else", arguments: StoreKind.all)
    func adminSetsPassword(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            _ = try await fixture.activeUser("gil", role: .userAdministrator, by: admin)
            let login = fixture.address("gil")
            await #expect(throws: AccountError.breachedPassword) {
                try await fixture.service.adminSetPassword(
                    login: login, password: "password123", by: try await fixture.user(admin))
            }
            try await fixture.service.adminSetPassword(
                login: login, password: "temporary-password-1", by: try await fixture.user(admin))
            // The new password also made the user's known devices unknown: a code first.
            let session = try await fixture.signInThroughDeviceCheck(login, "temporary-password-1")
            #expect(session.mustChangePassword)
            await #expect(throws: AccountError.passwordChangeRequired) {
                try await fixture.invite("x", by: session.sessionToken)
            }
            try await fixture.service.changePassword(
                by: try await fixture.user(session.sessionToken), currentPassword: "temporary-password-1",
                newPassword: "my-own-password-22", confirmation: "my-own-password-22")
            try await fixture.invite("x", by: session.sessionToken)
        }
    }

    @Test(
        "D1: only administrators add users and change roles; only a super-administrator makes another",
        arguments: StoreKind.all)
    func rolesAndPermissions(kind: StoreKind) async throws {
        try await AccountFixture.withEveryRole(kind) { fixture, _, helper, plain in
            await #expect(throws: AccountError.forbidden) {
                try await fixture.invite("y", by: plain.sessionToken)
            }
            await #expect(throws: AccountError.forbidden) {
                try await fixture.invite("y", role: .superAdministrator, by: helper.sessionToken)
            }
            await #expect(throws: AccountError.forbidden) {
                try await fixture.service.setRole(
                    .superAdministrator, login: fixture.address("plain"),
                    by: try await fixture.user(helper.sessionToken))
            }
            await #expect(throws: AccountError.forbidden) {
                try await fixture.service.deactivate(
                    login: fixture.address("admin"), by: try await fixture.user(helper.sessionToken))
            }
            try await fixture.service.setRole(
                .userAdministrator, login: fixture.address("plain"), by: try await fixture.user(helper.sessionToken))
            try await fixture.invite("y", by: plain.sessionToken)
            let events = try await fixture.store.auditEvents(accountID: plain.accountID)
            #expect(
                events.contains {
                    $0.kind == .roleChanged && $0.actorID == helper.accountID && $0.detail == "user->user_admin"
                })
        }
    }

    @Test(
        "D1: an administrator finds users by part of the login or address, in any case; LIKE's wildcards match only themselves",
        arguments: StoreKind.all)
    func findsUsers(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            _ = try await fixture.activeUser("ann_a", by: admin)
            _ = try await fixture.activeUser("annxa", by: admin)
            _ = try await fixture.activeUser("bob", by: admin)
            let user = try await fixture.user(admin)
            #expect(
                try await fixture.service.users(containing: "ANN_", by: user).map(\.login) == [fixture.address("ann_a")]
            )
            #expect(
                try await fixture.service.users(containing: "ann", by: user).map(\.login) == [
                    fixture.address("ann_a"), fixture.address("annxa"),
                ])
            #expect(try await fixture.service.users(containing: "", by: user).count == 4)
            #expect(try await fixture.service.users(containing: "bob", by: user).first?.status == .active)
        }
    }

    @Test("D1: a user without an administrator role cannot list users", arguments: StoreKind.all)
    func refusesUsers(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("cy", on: kind) { fixture, _, plain in
            await #expect(throws: AccountError.forbidden) {
                try await fixture.service.users(containing: "", by: try await fixture.user(plain.sessionToken))
            }
        }
    }
}
