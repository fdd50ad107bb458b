import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct OperationsTests {
    @Test(arguments: AnsweredBy.allCases)
    func v1RoutesRequireABearerTokenWhenConfigured(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["s3cret-token"]).test(answeredBy.setup) { client in
            let anonymous = try await client.json("/v1/check", #"{"password": "password"}"#)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.execute(uri: "/v1/index", method: .get, headers: [.authorization: "Bearer s3cret-tokem"])
            #expect(wrong.status == .unauthorized)
            let right = try await client.execute(uri: "/v1/check", method: .post,
                                                 headers: [.authorization: "Bearer s3cret-token", .contentType: "application/json"],
                                                 body: ByteBuffer(string: #"{"password": "password"}"#))
            #expect(right.status == .ok)
            // The range API stays open, as the public one is.
            #expect(try await client.execute(uri: "/range/5BAA6", method: .get).status == .ok)
        }
    }

    @Test func adminReloadIsOffWithoutAnAdminToken() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/v1/admin/reload", method: .post)
            #expect(response.status == .notFound)
        }
    }

    @Test func adminReloadNeedsTheAdminToken() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(adminTokens: ["admin"]).test(.router) { client in
            #expect(try await client.execute(uri: "/v1/admin/reload", method: .post).status == .unauthorized)
            let reloaded = try await client.execute(uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
            #expect(reloaded.status == .ok)
            #expect(String(buffer: reloaded.body).contains("\"hashCount\":574"))
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func metricsCountRequestsAndDescribeTheIndex(_ answeredBy: AnsweredBy) async throws {
        // The registry is the process's, shared with tests running alongside: compare
        // the counter before and after, and expect the gauges, not their values.
        @Sendable func rangeRequests(_ text: String) -> Double {
            text.split(separator: "\n").filter { $0.hasPrefix("hb_requests{") && $0.contains("/range/") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        }
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let before = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            _ = try await client.execute(uri: "/range/5BAA6", method: .get)
            let after = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(rangeRequests(after) >= rangeRequests(before) + 1)
            #expect(after.contains("breachdb_index_hashes{kind=\"sha1\"}"))
            #expect(after.contains("breachdb_index_hashes{kind=\"ntlm\"}"))
            #expect(after.contains("http_server_request_duration"))
        }
    }
}

@Suite struct TLSTests {
    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let fixture = try ServerFixture()
        let certificate = fixture.directory.file("cert.pem"), key = fixture.directory.file("key.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                             "-days", "1", "-subj", "/CN=localhost"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try await fixture.application(tls: (certificate, key)).test(.ahc(.https)) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(Array(response.body.readableBytesView) == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
        }
    }

    @Test func aMissingCertificateIsAClearError() throws {
        let fixture = try ServerFixture()
        #expect(throws: (any Error).self) { _ = try fixture.application(tls: ("/nonexistent/cert.pem", "/nonexistent/key.pem")) }
    }
}

@Suite struct TokenFileTests {
    @Test func tokensAreReadOnePerLineIgnoringCommentsAndBlanks() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("tokens", "# operators\nfirst-token\n\n  second-token  \n")
        #expect(try readTokens(from: file) == ["first-token", "second-token"])
    }

    @Test func aTokenFileWithoutTokensIsAnErrorNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("tokens", "# nothing here\n")
        #expect { try readTokens(from: file) } throws: { "\($0)" == "\(file): holds no token (one per line)" }
        #expect { try readTokens(from: directory.file("missing")) } throws: {
            "\($0)" == "\(directory.file("missing")): cannot read the token file"
        }
    }
}
