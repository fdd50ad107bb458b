import AccountTestSupport
import Accounts
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOSSL
import Synchronization
import TestSupport
import Testing

@testable import AccountMail

@Suite("Messages (R7, R8)", .dropsTestDatabases, .accountTestTimeLimit)
struct MessageDeliveryTests {
    @Test(
        "R7: after a reset the user gets a confirmation e-mail and a confirmation SMS (HTTP webhook)",
        arguments: StoreKind.all)
    func resetConfirmationByEmailAndSMS(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("ola", on: kind, phone: "+47 912 34 567") { fixture, login, _ in
            let received = Mutex<[(key: String, body: String)]>([])
            let router = Router()
            router.post("/sms") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 4096)
                received.withLock {
                    $0.append((request.headers[.init("Idempotency-Key")!] ?? "", String(buffer: body)))
                }
                return .accepted
            }
            try await Application(router: router).test(.live) { client in
                let dispatcher = OutboxDispatcher(
                    outbox: fixture.store, email: fixture.dispatcher.email,
                    sms: SMSWebhook(url: "http://127.0.0.1:\(client.port!)/sms"), clock: fixture.clock)
                try await fixture.service.requestPasswordReset(login: login)
                try await dispatcher.dispatchDueMessages()
                let token = try #require(
                    SMTPSink.shared.messages(to: login).compactMap {
                        $0.token(forPath: "reset-password")
                    }
                    .first)
                try await fixture.service.resetPassword(token: token, newPassword: "confirmed-password-1")
                try await dispatcher.dispatchDueMessages()
            }
            _ = try await fixture.onlyMail(to: login, subjectContaining: "was reset")
            let sms = received.withLock { $0 }
            #expect(sms.count == 1)
            #expect(sms.first?.body.contains("\"to\":\"+4791234567\"") == true)
            #expect(sms.first?.body.contains("your password was just reset") == true)
            #expect(sms.first?.key.isEmpty == false)
        }
    }

    @Test("R7: the SMS webhook's token goes as Authorization: Bearer, not in the URL")
    func smsWebhookBearerToken() async throws {
        let authorization = Mutex<String?>(nil)
        let router = Router()
        router.post("/sms") { request, _ -> HTTPResponse.Status in
            authorization.withLock { $0 = request.headers[.authorization] }
            return .accepted
        }
        try await Application(router: router).test(.live) { client in
            try await SMSWebhook(url: "http://127.0.0.1:\(client.port!)/sms", bearerToken: "gateway-token-1").deliver(
                Self.sms)
        }
        #expect(authorization.withLock { $0 } == "Bearer gateway-token-1")
    }

    @Test("R7: an SMS webhook that fails is named without the URL's password, user token or query values")
    func smsWebhookErrorsAreRedacted() async throws {
        let router = Router()
        router.post("/sms") { _, _ -> HTTPResponse.Status in .internalServerError }
        try await Application(router: router).test(.live) { client in
            let refused = await #expect(throws: DeliveryError.self) {
                try await SMSWebhook(url: "http://gw:s3cret-password@127.0.0.1:9/sms?token=s3cret-query").deliver(
                    Self.sms)
            }
            let failed = await #expect(throws: DeliveryError.self) {
                try await SMSWebhook(url: "http://s3cret-user@127.0.0.1:\(client.port!)/sms?key=s3cret-query").deliver(
                    Self.sms)
            }
            for text in [refused, failed].map({ $0?.description ?? "" }) {
                #expect(text.contains("127.0.0.1") && !text.contains("s3cret"), "\(text)")
            }
            #expect(failed?.description.contains("HTTP 500") == true)
        }
    }

    private static let sms = OutgoingMessage(
        id: "sms-1", channel: .sms, recipient: "+4791234567", subject: "", body: "your password was just reset",
        createdAt: Date())

    @Test(
        "R8: with the mail server down nothing is lost; it is retried later and delivered once",
        arguments: StoreKind.all)
    func mailServerDown(kind: StoreKind) async throws {
        // `throws` spelled out: the body's only `try`s are inside #expect.
        try await AccountFixture.withPendingReset("pat", on: kind) { fixture, login throws in
            // A port with no server behind it.
            let down = OutboxDispatcher(
                outbox: fixture.store,
                email: SMTPMailer(configuration: .init(host: "127.0.0.1", port: 9, sender: "a@breachdb.test")),
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
            let mails = SMTPSink.shared.messages(to: login).filter {
                $0.subject.contains("Reset your")
            }
            #expect(mails.count == 1)
        }
    }

    @Test(
        "R8: a message claimed by one dispatcher is not sent by another; a crashed claim is taken over after its lease",
        arguments: StoreKind.all)
    func claimsAreExclusive(kind: StoreKind) async throws {
        try await AccountFixture.withPendingReset("quy", on: kind) { fixture, login in
            // A dispatcher that claims and then dies before sending.
            let claimed = try await fixture.store.claimDueMessages(
                now: fixture.clock.now(), lease: .seconds(120), limit: 10)
            #expect(claimed.count == 1)
            #expect(try await fixture.dispatcher.dispatchDueMessages() == 0)
            fixture.clock.advance(.seconds(121))
            #expect(try await fixture.dispatcher.dispatchDueMessages() == 1)
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "Reset your")
            #expect(mail.messageID == "<\(claimed[0].id)@breachdb>")
        }
    }
    @Test(
        "STARTTLS: smtp:// upgrades before anything is said and checks the certificate; a server without STARTTLS gets nothing"
    )
    func startTLSIsRequired() async throws {
        let directory = try TemporaryDirectory()
        let certificate = directory.file("certificate.pem"), key = directory.file("key.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let sink = try SMTPSink(arguments: ["--starttls", certificate, key])
        let message = OutgoingMessage(
            id: UUID().uuidString.lowercased(), channel: .email, recipient: "tls@example.test", subject: "Over TLS",
            body: "Sent after STARTTLS.", createdAt: Date())

        var trusting = SMTPConfiguration(host: "127.0.0.1", port: sink.port, sender: "accounts@breachdb.test")
        trusting.tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
        try await SMTPMailer(configuration: trusting).deliver(message)
        #expect(sink.messages(to: "tls@example.test").map(\.subject) == ["Over TLS"])

        // The system's roots do not know the test's certificate: nothing is sent.
        let untrusting = SMTPConfiguration(host: "127.0.0.1", port: sink.port, sender: "accounts@breachdb.test")
        await #expect(throws: (any Error).self) { try await SMTPMailer(configuration: untrusting).deliver(message) }
        #expect(sink.messages(to: "tls@example.test").count == 1)

        // The shared sink offers no STARTTLS: refused, unless plain text on loopback was asked for.
        let plain = SMTPConfiguration(host: "127.0.0.1", port: SMTPSink.shared.port, sender: "accounts@breachdb.test")
        let refusal = await #expect(throws: DeliveryError.self) {
            try await SMTPMailer(configuration: plain).deliver(message)
        }
        #expect(refusal?.description.contains("STARTTLS") == true)
        #expect(SMTPSink.shared.messages(to: "tls@example.test").isEmpty)
    }

    @Test("smtp:// means STARTTLS; plain text only when asked for, and only to a loopback address")
    func plaintextOnlyOnLoopback() throws {
        #expect(try SMTPConfiguration(url: "smtp://mail.example.com", sender: "a@example.com").security == .startTLS)
        #expect(
            try SMTPConfiguration(url: "smtps://mail.example.com", sender: "a@example.com").security == .implicitTLS)
        #expect(
            try SMTPConfiguration(url: "smtp://127.0.0.1:2525", sender: "a@example.com", allowPlaintextOnLoopback: true)
                .security == .plaintextOnLoopback)
        #expect(throws: DeliveryError.self) {
            try SMTPConfiguration(
                url: "smtp://mail.example.com", sender: "a@example.com", allowPlaintextOnLoopback: true)
        }
    }

    @Test("Loopback is decided by address: 127.0.0.0/8, ::1 and localhost are, a host name starting with 127. is not")
    func loopbackByAddress() {
        for host in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"] {
            #expect(SMTPConfiguration.isLoopback(host), "\(host)")
        }
        for host in ["127.mail.example.com", "128.0.0.1", "::2", "mail.example.com", "::ffff:10.0.0.1"] {
            #expect(!SMTPConfiguration.isLoopback(host), "\(host)")
        }
    }

    @Test("SMTP over TLS asks for TLS 1.2 at least")
    func tlsMinimum() {
        #expect(
            SMTPConfiguration(host: "mail.example.com", port: 25, sender: "a@example.com").tls.minimumTLSVersion
                == .tlsv12)
    }
}
