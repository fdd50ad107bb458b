import AccountTestSupport
import Accounts
import Testing

/// The per-address mail limit (5 an hour) holds however many requests arrive at once:
/// counting and queueing are one step for an address on both stores.
@Suite("Mail per address under parallel requests", .dropsTestDatabases, .accountTestTimeLimit)
struct MailCapTests {
    @Test("Parallel reset requests for one address queue at most the hour's 5 e-mails", arguments: StoreKind.all)
    func parallelResetRequestsKeepTheCap(kind: StoreKind) async throws {
        // The user's activation e-mail is the first of the 5.
        try await AccountFixture.withActiveUser("flood", on: kind) { fixture, login, _ in
            let service = fixture.service
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 { group.addTask { try await service.requestPasswordReset(login: login) } }
                try await group.waitForAll()
            }
            let mail = try await fixture.mail(to: login)
            #expect(mail.count == fixture.service.configuration.messagesPerAddressPerHour)
            #expect(mail.filter { $0.subject.contains("Reset") }.count == 4)
        }
    }

    @Test("Parallel sign-ups with one address queue at most the hour's 5 e-mails", arguments: StoreKind.all)
    func parallelSignUpsKeepTheCap(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            let address = fixture.address("new")
            let service = fixture.service
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 { group.addTask { try await service.signUp(email: address) } }
                try await group.waitForAll()
            }
            #expect(
                try await fixture.mail(to: address).count == fixture.service.configuration.messagesPerAddressPerHour)
        }
    }
}
