import AccountTestSupport
import Accounts
import AccountsHTTP
import BreachHash
import BreachIndex
import BreachServer
import BreachSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Administrators' actions (D1, R5, R6, A5) tell the user by e-mail and leave an audit
/// row with where they came from; administrators read the log over HTTP.
@Suite("Administrators' actions: e-mails and the audit log (D1, R6)", .dropsTestDatabases, .accountTestTimeLimit)
struct AdminAuditTests {
    @Test("R6: the user is e-mailed when an administrator sets their password", arguments: StoreKind.all)
    func setPasswordTellsTheUser(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let helper = try await fixture.activeUser("helper", role: .userAdministrator, by: admin)
            _ = try await fixture.activeUser("victim", by: admin)
            let victim = fixture.address("victim")
            try await fixture.service.adminSetPassword(
                login: victim, password: "temporary-password-1", by: try await fixture.user(helper.sessionToken))
            let mail = try await fixture.onlyMail(to: victim, subjectContaining: "An administrator set a new password")
            #expect(mail.body.contains(fixture.address("helper")))
            // The notice carries no secret: not the password the administrator chose.
            #expect(!mail.body.contains("temporary-password-1"))
        }
    }

    @Test("D1, A5: a role change, a deactivation and a reactivation each e-mail the user", arguments: StoreKind.all)
    func accessChangesTellTheUser(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let administrator = try await fixture.user(admin)
            _ = try await fixture.activeUser("dana", by: admin)
            let dana = fixture.address("dana")
            try await fixture.service.setRole(.userAdministrator, login: dana, by: administrator)
            let roleMail = try await fixture.onlyMail(to: dana, subjectContaining: "role")
            #expect(roleMail.body.contains("from user to user administrator"))
            try await fixture.service.deactivate(login: dana, by: administrator)
            _ = try await fixture.onlyMail(to: dana, subjectContaining: "was deactivated")
            try await fixture.service.reactivate(login: dana, by: administrator)
            _ = try await fixture.onlyMail(to: dana, subjectContaining: "was reactivated")
        }
    }

    @Test(
        "D1: every administrator action is audited with the client address and a bounded user agent, over HTTP",
        arguments: StoreKind.all)
    func actionsAreAuditedWithTheirOrigin(kind: StoreKind) async throws {
        try await withAccountServer(kind, configure: Self.behindLoopbackProxy) { fixture, admin, client in
            let login = fixture.address("erin")
            let agent = "Mozilla/5.0 " + String(repeating: "x", count: 400)
            let headers: HTTPFields = [
                .authorization: "Bearer \(admin)", .userAgent: agent, .contentType: "application/json",
                HTTPField.Name.forwardedFor: "203.0.113.9",
            ]
            let actions: [(String, HTTPRequest.Method, String?)] = [
                ("/v1/accounts/admin/users", .post, #"{"email":"\#(login)"}"#),
                ("/v1/accounts/admin/users/\(login)/password", .put, #"{"password":"temporary-password-1"}"#),
                ("/v1/accounts/admin/users/\(login)/password-reset", .post, nil),
                ("/v1/accounts/admin/users/\(login)/role", .put, #"{"role":"user_admin"}"#),
                ("/v1/accounts/admin/users/\(login)/deactivate", .post, nil),
                ("/v1/accounts/admin/users/\(login)/reactivate", .post, nil),
            ]
            for (uri, method, body) in actions {
                let answer = try await client.execute(
                    uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                #expect(answer.status.kind == .successful, "\(method) \(uri): \(answer.status)")
            }
            let page = try await auditPage(client, admin, query: "limit=20")
            let erins = page.events.filter { $0["account"] as? String == login }
            #expect(
                Set(erins.compactMap { $0["kind"] as? String }).isSuperset(of: [
                    "account_created", "admin_set_password", "admin_sent_password_reset", "role_changed",
                    "account_deactivated", "account_reactivated",
                ]))
            for event in erins where event["actor"] != nil {
                #expect(event["actor"] as? String == fixture.address("admin"))
                #expect(event["clientAddress"] as? String == "203.0.113.9")
                let recorded = try #require(event["userAgent"] as? String)
                #expect(recorded.count == RequestOrigin.maximumUserAgentLength && agent.hasPrefix(recorded))
            }
            #expect(erins.filter { $0["actor"] != nil }.count == actions.count)
        }
    }

    @Test(
        "An administrator action that changes nothing sends no notice and writes no audit row", arguments: StoreKind.all
    )
    func unchangedRoleOrStatusIsNotAnnounced(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            _ = try await fixture.activeUser("dana", by: admin)
            let dana = fixture.address("dana")
            let administrator = try await fixture.user(admin)
            let mailBefore = try await fixture.mail(to: dana).count
            try await fixture.service.setRole(.userAdministrator, login: dana, by: administrator)
            try await fixture.service.setRole(.userAdministrator, login: dana, by: administrator)
            try await fixture.service.reactivate(login: dana, by: administrator)
            #expect(try await fixture.mail(to: dana).count == mailBefore + 1)
            let audit = try await fixture.service.auditLog(limit: 500, by: administrator)
            #expect(audit.filter { $0.event.kind == .roleChanged }.count == 1)
            #expect(audit.filter { $0.event.kind == .accountReactivated }.isEmpty)
        }
    }

    @Test(
        "GET /v1/accounts/admin/audit pages newest first for super-administrators; others get 403",
        arguments: StoreKind.all)
    func auditLogIsPagedForAdministrators(kind: StoreKind) async throws {
        try await withAccountServer(kind, configure: Self.behindLoopbackProxy) { fixture, admin, client in
            let (helper, plain) = try await fixture.userAdministratorAndUser(by: admin)
            for name in ["p1", "p2", "p3"] {
                fixture.clock.advance(.seconds(1))
                try await fixture.invite(name, by: admin)
            }
            // Newest first.
            let first = try await auditPage(client, admin, query: "limit=2")
            #expect(first.events.count == 2)
            #expect(first.events.map { $0["account"] as? String } == [fixture.address("p3"), fixture.address("p2")])
            let next = try #require(first.next)
            let second = try await auditPage(client, admin, query: "limit=2&before=\(next)")
            #expect(second.events.first?["account"] as? String == fixture.address("p1"))
            let times = (first.events + second.events).compactMap { $0["at"] as? String }
            #expect(times == times.sorted(by: >))
            // Everything to the start, each event once.
            var ids = first.events.compactMap { $0["id"] as? String }
            var cursor: String? = next
            while let before = cursor {
                let page = try await auditPage(client, admin, query: "limit=3&before=\(before)")
                ids += page.events.compactMap { $0["id"] as? String }
                cursor = page.next
            }
            #expect(Set(ids).count == ids.count)
            let everything = try await auditPage(client, admin, query: "limit=500")
            #expect(ids == everything.events.compactMap { $0["id"] as? String })

            // A user administrator may not touch super-administrators, so does not read their origins.
            for refusedUser in [plain, helper] {
                let refused = try await client.execute(
                    uri: "/v1/accounts/admin/audit", method: .get,
                    headers: [.authorization: "Bearer \(refusedUser.sessionToken)"])
                #expect(refused.status == .forbidden)
            }
            let anonymous = try await client.execute(uri: "/v1/accounts/admin/audit", method: .get)
            #expect(anonymous.status == .unauthorized)
            let badLimit = try await client.execute(
                uri: "/v1/accounts/admin/audit?limit=0", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(badLimit.status == .badRequest)
        }
    }

    // MARK: The server

    /// Behind a trusted proxy on loopback, so that `X-Forwarded-For` names the client.
    private static func behindLoopbackProxy(_ configuration: inout ServerConfiguration) throws {
        configuration.trustedProxies = try TrustedProxies(parsing: "127.0.0.1, ::1")
    }

    private struct AuditPage {
        var events: [[String: Any]]
        var next: String?
    }

    private func auditPage(_ client: any TestClientProtocol, _ session: String, query: String) async throws
        -> AuditPage
    {
        let answer = try await client.execute(
            uri: "/v1/accounts/admin/audit?\(query)", method: .get, headers: [.authorization: "Bearer \(session)"])
        try #require(answer.status == .ok, "\(answer.status): \(String(buffer: answer.body))")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any])
        return AuditPage(
            events: try #require(object["events"] as? [[String: Any]]), next: object["next"] as? String)
    }
}
