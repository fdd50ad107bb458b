import AccountTestSupport
import Accounts
import Testing

@Suite("The administrators' user list (D1)", .dropsTestDatabases)
struct UserListTests {
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
