import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import TestSupport
import Testing

@Suite struct OperationsTests {
    @Test(arguments: AnsweredBy.allCases)
    func v1RoutesRequireABearerTokenWhenConfigured(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["s3cret-token"]).test(answeredBy.setup) { client in
            let anonymous = try await client.json("/v1/check", #"{"password": "password"}"#)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.execute(
                uri: "/v1/index", method: .get, headers: [.authorization: "Bearer s3cret-tokem"])
            #expect(wrong.status == .unauthorized)
            let right = try await client.execute(
                uri: "/v1/check", method: .post,
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
            let reloaded = try await client.execute(
                uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
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

    /// Every index built has its own generation: as a label, each load would add a series.
    /// The process's metrics system is the program's: making and running the server leaves
    /// it alone, so an application embedding the server can bootstrap its own (the
    /// `breachdb` command bootstraps it with the server's registry).
    @Test func theServerLeavesTheProcessMetricsSystemAlone() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            _ = try await client.execute(uri: "/range/5BAA6", method: .get)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("hb_requests{"))
        }
        #expect(MetricsSystem.factory is NOOPMetricsHandler)
    }

    @Test func loadingAnotherIndexAddsNoTimeSeries() async throws {
        let first = try ServerFixture(), second = try ServerFixture()
        #expect(first.indexes.snapshot.sha1.metadata.generation != second.indexes.snapshot.sha1.metadata.generation)
        _ = try first.application()
        try await second.application().test(.router) { client in
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let series = metrics.split(separator: "\n").filter {
                $0.hasPrefix("breachdb_index_loaded_timestamp_seconds{")
            }
            #expect(!series.contains { $0.contains("generation") })
            #expect(series.count == 2)  // one per kind, sha1 and ntlm
        }
    }
}

@Suite struct TLSTests {
    /// Runs `openssl` with `arguments`; returns its exit status.
    @discardableResult
    func openssl(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A self-signed certificate and its key in the fixture's directory.
    func certificate(in fixture: ServerFixture) throws -> (String, String) {
        let certificate = fixture.directory.file("cert.pem"), key = fixture.directory.file("key.pem")
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "1", "-subj", "/CN=localhost",
        ])
        return (certificate, key)
    }

    /// Whether `openssl s_client` completes a handshake with `options`. Security level 0 lets
    /// the client offer what OpenSSL's defaults would refuse on its own, so a refusal is the server's.
    func handshakes(port: Int, _ options: [String]) throws -> Bool {
        try openssl(["s_client", "-connect", "127.0.0.1:\(port)"] + options) == 0
    }

    @Test func refusesTLS1_0And1_1AndSuitesWithoutForwardSecrecyOrAEAD() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(tls: try certificate(in: fixture)).test(.live) { client in
            let port = try #require(client.port)
            #expect(try handshakes(port: port, ["-tls1_3"]))
            #expect(try handshakes(port: port, ["-tls1_2"]))
            #expect(try !handshakes(port: port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]))
            #expect(try !handshakes(port: port, ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]))
            // RSA key exchange (no forward secrecy), and ECDHE with CBC (no AEAD).
            #expect(try !handshakes(port: port, ["-tls1_2", "-cipher", "AES128-GCM-SHA256"]))
            #expect(try !handshakes(port: port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"]))
        }
    }

    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(tls: try certificate(in: fixture)).test(.ahc(.https)) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(
                Array(response.body.readableBytesView)
                    == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
        }
    }

    @Test func aMissingCertificateIsAClearError() throws {
        let fixture = try ServerFixture()
        #expect(throws: (any Error).self) {
            _ = try fixture.application(tls: ("/nonexistent/cert.pem", "/nonexistent/key.pem"))
        }
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
