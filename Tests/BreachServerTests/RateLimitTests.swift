import BreachSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import BreachServer

@Suite struct RateLimitTests {
    /// `/v1/index` is the router's; `/range` the hot-route handler's.
    @Test(arguments: ["/v1/index", "/range/5BAA6"])
    func aClientOverItsRateGets429WithRetryAfter(_ uri: String) async throws {
        let fixture = try ServerFixture()
        // One request a minute (a burst of 1): the second is refused however slow the
        // machine, and told to wait up to a minute.
        try await fixture.application(requestsPerSecond: 1.0 / 60).test(.live) { client in
            #expect(try await client.execute(uri: uri, method: .get).status == .ok)
            let refused = try await client.execute(uri: uri, method: .get)
            #expect(refused.status == .tooManyRequests)
            let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((50...60).contains(wait))
        }
    }

    /// A load balancer polling health every second must not mark a healthy node down.
    @Test func healthChecksAndMetricsAreNotRateLimited() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(requestsPerSecond: 1.0 / 60).test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for uri in ["/healthz", "/readyz", "/metrics", "/healthz", "/readyz", "/metrics", "/v1/index", "/v1/index"]
            {
                statuses.append(try await client.execute(uri: uri, method: .get).status)
            }
            #expect(statuses == Array(repeating: .ok, count: 7) + [.tooManyRequests])
        }
    }

    /// A check the hot-route handler hands to the router (here, a bad hash) is charged once:
    /// with a burst of one, its answer is the error, not 429.
    @Test func aRequestHandedToTheRouterIsChargedOnce() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(requestsPerSecond: 1.0 / 60).test(.live) { client in
            let response = try await client.json("/v1/check", #"{"sha1": "xyz"}"#)
            #expect(response.status == .badRequest)
            #expect(try await client.json("/v1/check", #"{"sha1": "xyz"}"#).status == .tooManyRequests)
        }
    }

    /// A check whose token is refused is charged once, whatever its body: with a burst of
    /// one, the first is refused for its token, the next for the rate.
    @Test(arguments: [#"{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}"#, #"{"sha1": "xyz"}"#, "not JSON"])
    func aCheckWithoutTheTokenIsChargedOnce(_ body: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["token"], requestsPerSecond: 1.0 / 60).test(.live) { client in
            let first = try await client.json("/v1/check", body)
            #expect(first.status == .unauthorized)
            let second = try await client.json("/v1/check", body)
            #expect(second.status == .tooManyRequests)
        }
    }

    /// A flood of addresses fills the table with clients that are not idle: it is then
    /// forgotten whole, not rescanned for every new address (each gets a fresh burst).
    @Test func aFullTableOfBusyClientsIsForgottenWhole() throws {
        let limit = RateLimiter(rate: 1.0 / 60, burst: 2, trackedClients: 10)
        let now = ContinuousClock.now
        let clients = (1...11).map { ClientAddress(parsing: "192.0.2.\($0)")! }
        #expect(limit.take(for: clients[0], now: now) == nil)
        #expect(limit.take(for: clients[0], now: now) == nil)
        #expect(limit.take(for: clients[0], now: now) != nil, "its burst of two is spent")
        for client in clients[1..<10] { #expect(limit.take(for: client, now: now) == nil) }
        #expect(limit.take(for: clients[10], now: now) == nil)
        #expect(limit.take(for: clients[0], now: now) == nil, "forgotten with the others")
    }

    /// Clients whose buckets are full again are idle: forgetting them changes nothing, and
    /// the busy ones are kept.
    @Test func idleClientsAreForgottenFirst() throws {
        let limit = RateLimiter(rate: 1, burst: 1, trackedClients: 10)
        let start = ContinuousClock.now
        let clients = (1...11).map { ClientAddress(parsing: "192.0.2.\($0)")! }
        for client in clients[0..<9] { #expect(limit.take(for: client, now: start) == nil) }
        let later = start + .seconds(5)
        #expect(limit.take(for: clients[9], now: later) == nil)
        #expect(limit.take(for: clients[9], now: later) != nil, "still counted")
        #expect(limit.take(for: clients[10], now: later) == nil)
        #expect(limit.take(for: clients[9], now: later) != nil, "a busy client is kept")
    }

    /// On a live server, behind loopback as the trusted proxy: each forwarded client has its
    /// own limit, on the router's routes and on the hot routes alike.
    @Test(arguments: ["/v1/index", "/range/5BAA6"])
    func eachForwardedClientHasItsOwnRateLimit(_ uri: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(
            requestsPerSecond: 1.0 / 60, trustedProxies: TrustedProxies(parsing: "127.0.0.1, ::1")
        )
        .test(.live) { client in
            let forwarded = ["203.0.113.9", "198.51.100.1, 203.0.113.10", "203.0.113.9"]
            var statuses: [HTTPResponse.Status] = []
            for forwardedFor in forwarded {
                statuses.append(
                    try await client.execute(uri: uri, method: .get, headers: [.xForwardedFor: forwardedFor]).status)
            }
            #expect(statuses == [.ok, .ok, .tooManyRequests])
        }
    }

    /// A connection's peer as the rate limit counts it: IPv4 in its mapped form, IPv6 as is,
    /// a Unix-socket peer as no address.
    @Test func aConnectionsPeerBecomesAClientAddress() throws {
        #expect(
            ClientAddress(try SocketAddress(ipAddress: "192.0.2.7", port: 5000))
                == ClientAddress(parsing: "::ffff:192.0.2.7"))
        #expect(
            ClientAddress(try SocketAddress(ipAddress: "2001:db8::7", port: 5000))
                == ClientAddress(parsing: "2001:db8::7"))
        #expect(ClientAddress(try SocketAddress(unixDomainSocketPath: "/tmp/breachdb.sock")) == nil)
    }
}
