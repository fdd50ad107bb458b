import AccountTestSupport
import BreachSupport
import Foundation
import Testing

@testable import Accounts

/// Requests that send mail or make codes are limited per address and per client.
@Suite("Limits on mail-sending requests", .dropsTestDatabases, .accountTestTimeLimit)
struct RequestLimitTests {
    @Test(
        "At most 5 sign-up and reset e-mails an hour to one address; the answer does not change",
        arguments: StoreKind.all)
    func perAddressLimit(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            let email = try await fixture.signUp("flood")
            for _ in 1...7 { try await fixture.service.requestPasswordReset(login: email) }
            try await fixture.service.signUp(email: email)
            #expect(try await fixture.mail(to: email).count == 5)
            fixture.clock.advance(.seconds(3601))
            try await fixture.service.requestPasswordReset(login: email)
            #expect(try await fixture.mail(to: email).count == 6)
        }
    }

    @Test(
        "One client gets 30 sign-ups and reset requests an hour, then 429 with the wait; other clients are not held up",
        arguments: StoreKind.all)
    func perClientLimit(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            let client = try #require(ClientAddress(parsing: "192.0.2.1"))
            for number in 1...30 {
                try await fixture.service.signUp(email: fixture.address("c\(number)"), client: client)
            }
            let refused = await #expect(throws: AccountError.self) {
                try await fixture.service.signUp(email: fixture.address("c31"), client: client)
            }
            guard case .tooManyRequests(let wait) = refused else {
                Issue.record("expected 429")
                return
            }
            #expect((1...3600).contains(wait))
            await #expect(throws: AccountError.self) {
                try await fixture.service.requestPasswordReset(login: fixture.address("c1"), client: client)
            }
            try await fixture.service.requestPasswordReset(
                login: fixture.address("c1"), client: try #require(ClientAddress(parsing: "192.0.2.2")))
            fixture.clock.advance(.seconds(3600))
            try await fixture.service.signUp(email: fixture.address("c31"), client: client)
        }
    }

    @Test("One IPv6 /64 is one client: its addresses share the 30 an hour", arguments: StoreKind.all)
    func ipv6SubnetIsOneClient(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            for number in 1...30 {
                try await fixture.service.signUp(
                    email: fixture.address("v\(number)"),
                    client: try #require(ClientAddress(parsing: "2001:db8:1:2::\(number)")))
            }
            await #expect(throws: AccountError.self) {
                try await fixture.service.signUp(
                    email: fixture.address("v31"), client: try #require(ClientAddress(parsing: "2001:db8:1:2:ffff::9")))
            }
            try await fixture.service.signUp(
                email: fixture.address("v31"), client: try #require(ClientAddress(parsing: "2001:db8:1:3::1")))
        }
    }

    @Test(
        "A full client table forgets the least-counted clients; new clients are still counted, clients at the limit still refused"
    )
    func fullTableEvictsRatherThanAdmits() throws {
        let limiter = ClientLimiter(limit: 2, window: .seconds(3600), trackedClients: 4)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let heavy = try #require(ClientAddress(parsing: "198.51.100.1"))
        #expect(limiter.admit(heavy, at: now) == nil)
        #expect(limiter.admit(heavy, at: now) == nil)
        for number in 1...3 {
            #expect(limiter.admit(try #require(ClientAddress(parsing: "203.0.113.\(number)")), at: now) == nil)
        }
        let newcomer = try #require(ClientAddress(parsing: "192.0.2.200"))
        #expect(limiter.admit(newcomer, at: now) == nil)
        #expect(limiter.admit(newcomer, at: now) == nil)
        #expect(limiter.admit(newcomer, at: now) != nil)
        #expect(limiter.admit(heavy, at: now) != nil)
    }
}
