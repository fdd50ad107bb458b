@testable import AccountMail
import Accounts
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite("Messages (R7, R8)")
struct MessageDeliveryTests {
    @Test("R7: after a reset the user gets a confirmation e-mail and a confirmation SMS (HTTP webhook)", arguments: StoreKind.all)
    func resetConfirmationByEmailAndSMS(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        _ = try await fixture.activeUser("ola", phone: "+47 912 34 567", by: admin)
        let received = Mutex<[(key: String, body: String)]>([])
        let router = Router()
        router.post("/sms") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 4096)
            received.withLock { $0.append((request.headers[.init("Idempotency-Key")!] ?? "", String(buffer: body))) }
            return .accepted
        }
        try await Application(router: router).test(.live) { client in
            let dispatcher = OutboxDispatcher(outbox: fixture.store, email: fixture.dispatcher.email,
                                              sms: SMSWebhook(url: "http://127.0.0.1:\(client.port!)/sms"), clock: fixture.clock)
            try await fixture.service.requestPasswordReset(login: fixture.address("ola"))
            try await dispatcher.dispatchDueMessages()
            let token = try #require(SMTPSink.shared.messages(to: fixture.address("ola")).compactMap { $0.token(forPath: "reset-password") }.first)
            try await fixture.service.resetPassword(token: token, newPassword: "confirmed-password-1")
            try await dispatcher.dispatchDueMessages()
        }
        _ = try await fixture.onlyMail(to: fixture.address("ola"), subjectContaining: "was reset")
        let sms = received.withLock { $0 }
        #expect(sms.count == 1)
        #expect(sms.first?.body.contains("\"to\":\"+4791234567\"") == true)
        #expect(sms.first?.body.contains("your password was just reset") == true)
        #expect(sms.first?.key.isEmpty == false)
        try await fixture.close()
    }

    @Test("R8: with the mail server down nothing is lost; it is retried later and delivered once", arguments: StoreKind.all)
    func mailServerDown(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        _ = try await fixture.activeUser("pat", by: admin)
        try await fixture.service.requestPasswordReset(login: fixture.address("pat"))
        // A port with no server behind it.
        let down = OutboxDispatcher(outbox: fixture.store, email: SMTPMailer(configuration: .init(host: "127.0.0.1", port: 9, sender: "a@breachdb.test")),
                                    sms: nil, clock: fixture.clock)
        #expect(try await down.dispatchDueMessages() == 0)
        #expect(try await fixture.store.pendingMessageCount() == 1)
        // Not due again before its retry time, even with the server back.
        #expect(try await fixture.dispatcher.dispatchDueMessages() == 0)
        fixture.clock.advance(.seconds(31))
        #expect(try await down.dispatchDueMessages() == 0)
        fixture.clock.advance(.seconds(61))
        #expect(try await fixture.dispatcher.dispatchDueMessages() == 1)
        #expect(try await fixture.dispatcher.dispatchDueMessages() == 0)
        #expect(try await fixture.store.pendingMessageCount() == 0)
        let mails = SMTPSink.shared.messages(to: fixture.address("pat")).filter { $0.subject.contains("Reset your") }
        #expect(mails.count == 1)
        try await fixture.close()
    }

    @Test("R8: a message claimed by one dispatcher is not sent by another; a crashed claim is taken over after its lease", arguments: StoreKind.all)
    func claimsAreExclusive(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        _ = try await fixture.activeUser("quy", by: admin)
        try await fixture.service.requestPasswordReset(login: fixture.address("quy"))
        // A dispatcher that claims and then dies before sending.
        let claimed = try await fixture.store.claimDueMessages(now: fixture.clock.now(), lease: .seconds(120), limit: 10)
        #expect(claimed.count == 1)
        #expect(try await fixture.dispatcher.dispatchDueMessages() == 0)
        fixture.clock.advance(.seconds(121))
        #expect(try await fixture.dispatcher.dispatchDueMessages() == 1)
        let mail = try await fixture.onlyMail(to: fixture.address("quy"), subjectContaining: "Reset your")
        #expect(mail.messageID == "<\(claimed[0].id)@breachdb>")
        try await fixture.close()
    }
}
