import Accounts
import Testing

/// Requests that send mail or make codes are limited per address and per client.
@Suite("Limits on mail-sending requests", .dropsTestDatabases)
struct RequestLimitTests {
    @Test("At most 5 sign-up and reset e-mails an hour to one address; the answer does not change", arguments: StoreKind.all)
    func perAddressLimit(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let email = fixture.address("flood")
        try await fixture.service.signUp(email: email)
        for _ in 1...7 { try await fixture.service.requestPasswordReset(login: email) }
        try await fixture.service.signUp(email: email)
        #expect(try await fixture.mail(to: email).count == 5)
        fixture.clock.advance(.seconds(3601))
        try await fixture.service.requestPasswordReset(login: email)
        #expect(try await fixture.mail(to: email).count == 6)
        try await fixture.close()
    }

    @Test("One client gets 30 sign-ups and reset requests an hour, then 429; other clients are not held up", arguments: StoreKind.all)
    func perClientLimit(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        for number in 1...30 {
            try await fixture.service.signUp(email: fixture.address("c\(number)"), client: "192.0.2.1")
        }
        await #expect(throws: AccountError.tooManyRequests) { try await fixture.service.signUp(email: fixture.address("c31"), client: "192.0.2.1") }
        await #expect(throws: AccountError.tooManyRequests) { try await fixture.service.requestPasswordReset(login: fixture.address("c1"), client: "192.0.2.1") }
        try await fixture.service.requestPasswordReset(login: fixture.address("c1"), client: "192.0.2.2")
        fixture.clock.advance(.seconds(3600))
        try await fixture.service.signUp(email: fixture.address("c31"), client: "192.0.2.1")
        try await fixture.close()
    }
}
