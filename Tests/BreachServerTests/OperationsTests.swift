import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct OperationsTests {
    @Test func v1RoutesRequireABearerTokenWhenConfigured() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["s3cret-token"]).test(.router) { client in
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

    @Test func metricsCountRequestsAndDescribeTheIndex() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            _ = try await client.execute(uri: "/range/5BAA6", method: .get)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("breachdb_index_hashes{kind=\"sha1\"} 574"))
            #expect(metrics.contains("hb_requests"))
            #expect(metrics.contains("/range/{prefix}") || metrics.contains("/range/:prefix"))
        }
    }
}

@Suite struct RateLimitTests {
    @Test func aClientOverItsRateGets429WithRetryAfter() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(requestsPerSecond: 1).test(.live) { client in
            // A burst of 2 is allowed at 1 request a second; the third is refused.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let refused = try await client.execute(uri: "/healthz", method: .get)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "1")
        }
    }
}
