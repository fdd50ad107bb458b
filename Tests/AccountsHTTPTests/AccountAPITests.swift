import AccountTestSupport
import Accounts
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

@testable import AccountStorage
@testable import AccountsHTTP

/// The account flows over HTTP, through a real HTTP client against a live server.
@Suite("Account HTTP API", .dropsTestDatabases, .accountTestTimeLimit)
struct AccountAPITests {
    private func json(_ object: [String: String]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    /// POSTs `object` as JSON, with `headers` besides the content type.
    private func post(
        _ client: any TestClientProtocol, _ uri: String, _ object: [String: String],
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var all = headers
        all[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: all, body: json(object))
    }

    /// ``post(_:_:_:headers:)``, expecting `status` in answer.
    @discardableResult
    private func post(
        _ client: any TestClientProtocol, _ uri: String, _ object: [String: String], headers: HTTPFields = [:],
        expecting status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        let response = try await post(client, uri, object, headers: headers)
        #expect(response.status == status, sourceLocation: sourceLocation)
        return response
    }

    private func decoded(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("Invite, activate through the e-mailed link, sign in with a device code, then /me", arguments: StoreKind.all)
    func invitationFlow(kind: StoreKind) async throws {
        try await withAccountServer(kind) { fixture, admin, client in
            let email = fixture.address("web")
            try await post(
                client, "/v1/accounts/admin/users", ["email": email, "role": "user"],
                headers: [.authorization: "Bearer \(admin)"], expecting: .created)
            let token = try await fixture.activationLink(to: email)
            // B1 over HTTP: 422 with the rule's message and its explanation.
            let refused = try await post(
                client, "/v1/accounts/activate", ["token": token, "password": "password123"],
                expecting: .unprocessableContent)
            let error = try #require(try decoded(refused)["error"] as? [String: Any])
            #expect(error["code"] as? String == "breached_password")
            #expect(
                error["message"] as? String
                    == "Choose a different password. This has been identified as a risky password.")
            #expect(error["explanation"] != nil)
            try await post(
                client, "/v1/accounts/activate", ["token": token, "password": AccountFixture.goodPassword],
                expecting: .ok)

            let signIn = try await post(
                client, "/v1/accounts/sign-in", ["login": email, "password": AccountFixture.goodPassword],
                expecting: .accepted)
            let challenge = try #require(try decoded(signIn)["challengeId"] as? String)
            let code = try await fixture.latestCode(to: email)
            let verified = try await post(
                client, "/v1/accounts/verify-device", ["challengeId": challenge, "code": code], expecting: .ok)
            let session = try #require(try decoded(verified)["sessionToken"] as? String)
            let me = try await client.execute(
                uri: "/v1/accounts/me", method: .get, headers: [.authorization: "Bearer \(session)"])
            #expect(try decoded(me)["email"] as? String == email)
            let signedOut = try await client.execute(
                uri: "/v1/accounts/sign-out", method: .post, headers: [.authorization: "Bearer \(session)"])
            #expect(signedOut.status == .noContent)
            let after = try await client.execute(
                uri: "/v1/accounts/me", method: .get, headers: [.authorization: "Bearer \(session)"])
            #expect(after.status == .unauthorized)
        }
    }

    @Test(
        "Sign-in and reset requests answer the same for unknown addresses; R5 refuses a user with 403",
        arguments: StoreKind.all)
    func noEnumerationAndPermissions(kind: StoreKind) async throws {
        try await withAccountServer(kind) { fixture, admin, client in
            let user = try await fixture.activeUser("api", by: admin)
            let unknown = try await post(
                client, "/v1/accounts/sign-in", ["login": fixture.address("ghost"), "password": "some-password-1"])
            let wrong = try await post(
                client, "/v1/accounts/sign-in", ["login": fixture.address("api"), "password": "some-password-1"])
            #expect(unknown.status == .unauthorized && wrong.status == .unauthorized)
            #expect(String(buffer: unknown.body) == String(buffer: wrong.body))
            for login in [fixture.address("ghost"), fixture.address("api")] {
                let reset = try await post(
                    client, "/v1/accounts/password-reset/request", ["login": login], expecting: .accepted)
                #expect(String(buffer: reset.body) == #"{"status":"check_your_email"}"#)
            }
            let forbidden = try await client.execute(
                uri: "/v1/accounts/admin/users/\(fixture.address("admin"))/password-reset", method: .post,
                headers: [.authorization: "Bearer \(user.sessionToken)"])
            #expect(forbidden.status == .forbidden)
            let link = try #require(
                try await fixture.resetLinks(to: fixture.address("api")).last)
            let unsafe = try await post(
                client, "/v1/accounts/password-reset", ["token": link, "newPassword": "letmein!2024"],
                expecting: .unprocessableContent)
            #expect(String(buffer: unsafe.body).contains("That password is unsafe."))
            try await post(
                client, "/v1/accounts/password-reset", ["token": link, "newPassword": "web-reset-password-1"],
                expecting: .noContent)
        }
    }

    @Test(
        "Pre-activation hijack: the password a sign-up gave is never kept; the owner sets it through the activation link",
        arguments: StoreKind.all)
    func signUpCannotChooseTheOwnersPassword(kind: StoreKind) async throws {
        try await withAccountServer(kind) { fixture, _, client in
            let victim = fixture.address("victim")
            try await post(
                client, "/v1/accounts/sign-up", ["email": victim, "password": "stranger-chose-this-1"],
                expecting: .accepted)
            let token = try await fixture.activationLink(to: victim)
            // Following the link without choosing a password keeps nothing the stranger chose.
            try await post(client, "/v1/accounts/activate", ["token": token], expecting: .badRequest)
            try await post(
                client, "/v1/accounts/activate", ["token": token, "password": AccountFixture.goodPassword],
                expecting: .ok)
            try await post(
                client, "/v1/accounts/sign-in", ["login": victim, "password": "stranger-chose-this-1"],
                expecting: .unauthorized)
        }
    }

    @Test(
        "A pending account can reset its password (R1); a phone number given at sign-up receives nothing (R7)",
        arguments: StoreKind.all)
    func pendingAccountsResetAndUnverifiedPhones(kind: StoreKind) async throws {
        try await withAccountServer(kind) { fixture, _, client in
            let owner = fixture.address("pending")
            try await post(
                client, "/v1/accounts/sign-up",
                ["email": owner, "password": "stranger-chose-this-2", "phone": "+47 912 34 567"], expecting: .accepted)
            try await post(client, "/v1/accounts/password-reset/request", ["login": owner], expecting: .accepted)
            let link = try await fixture.resetLink(to: owner)
            try await post(
                client, "/v1/accounts/password-reset", ["token": link, "newPassword": "owner-reset-password-3"],
                expecting: .noContent)
            try await post(
                client, "/v1/accounts/sign-in", ["login": owner, "password": "owner-reset-password-3"],
                expecting: .accepted)
            let texts = try await fixture.store.database.transaction { connection in
                try await connection.query("SELECT id FROM outbox WHERE channel = 'sms'", []).count
            }
            #expect(texts == 0)
        }
    }

    @Test(
        "Behind a trusted proxy the per-client limit counts the client it names: one client's 30 sign-ups leave others theirs; the 429 says when to retry",
        arguments: StoreKind.all)
    func perClientLimitBehindAProxy(kind: StoreKind) async throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.0/8, ::1")
        try await withAccountServer(kind, configure: { $0.trustedProxies = proxies }) { fixture, _, client in
            for number in 1...30 {
                let answer = try await post(
                    client, "/v1/accounts/sign-up", ["email": fixture.address("p\(number)")],
                    headers: [HTTPField.Name.forwardedFor: "203.0.113.7"])
                #expect(answer.status == .accepted)
            }
            let limited = try await post(
                client, "/v1/accounts/sign-up", ["email": fixture.address("p31")],
                headers: [HTTPField.Name.forwardedFor: "203.0.113.7"], expecting: .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "").map { (1...3600).contains($0) } == true)
            try await post(
                client, "/v1/accounts/sign-up", ["email": fixture.address("p32")],
                headers: [HTTPField.Name.forwardedFor: "198.51.100.4"], expecting: .accepted)
        }
    }

    @Test(
        "Answers that carry a session token are not stored by caches (Cache-Control: no-store)",
        arguments: StoreKind.all)
    func tokenAnswersAreNotCached(kind: StoreKind) async throws {
        try await withAccountServer(kind) { fixture, admin, client in
            let user = try await fixture.activeUser("cache", by: admin)
            let signIn = try await post(
                client, "/v1/accounts/sign-in",
                [
                    "login": fixture.address("cache"), "password": AccountFixture.goodPassword,
                    "deviceToken": try #require(user.deviceToken),
                ], expecting: .ok)
            #expect(signIn.headers[.cacheControl] == "no-store")
        }
    }

    @Test("A busy refusal (the hashing queue is full, L2) answers 503 Service Unavailable")
    func busyIsServiceUnavailable() {
        #expect(AccountRoutes.status(of: .busy(retryAfterSeconds: 1)) == .serviceUnavailable)
    }

    @Test("password-strength takes a plaintext password: refused with --no-plaintext, behind --token-file's token")
    func passwordStrengthFollowsTheCheckSettings() async throws {
        let request = ["password": "password123"]
        try await withAccountServer(.sqlite, configure: { $0.allowPlaintext = false }) { _, _, client in
            let refused = try await post(client, "/v1/accounts/password-strength", request, expecting: .badRequest)
            #expect(String(buffer: refused.body).contains("plaintext_disabled"))
        }
        try await withAccountServer(.sqlite, configure: { $0.apiTokens = ["strength-token"] }) { _, _, client in
            try await post(client, "/v1/accounts/password-strength", request, expecting: .unauthorized)
            try await post(
                client, "/v1/accounts/password-strength", request, headers: [.authorization: "Bearer strength-token"],
                expecting: .ok)
        }
    }
}
