import BreachDownload
import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// What the hot-route handler adds to the router: order on a shared connection, HEAD,
/// and connections closed when asked. Its answers themselves are specified, for both
/// paths, in RangeRouteTests and CheckRoutesTests.
@Suite struct HotRouteHandlerTests {
    @Test func pipelinedRequestsAreAnsweredInTheOrderSent() async throws {
        let check = #"{"password": "password"}"#
        // The router answers the first; the rest arrive while it does.
        let response = try await ServerFixture.exchange(
            "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(check.utf8.count)\r\n\r\n\(check)"
                + "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(response.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 5)
        let index = try #require(response.range(of: "\"hashCount\":574"))
        let range = try #require(response.range(of: "1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
        let breached = try #require(response.range(of: #"{"breached":true,"count":3861493}"#))
        let lastRange = try #require(
            response.range(of: "1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493", options: .backwards))
        #expect(
            index.lowerBound < range.lowerBound && range.lowerBound < breached.lowerBound
                && breached.lowerBound < lastRange.lowerBound)
    }

    /// The account module's remote checker is a range-API client: padded requests over a
    /// real HTTP client (AsyncHTTPClient).
    @Test func theRemoteBreachCheckerAnswersFromTheDaemon() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            // The default 2 s deadline is for production; a loaded CI machine can exceed it.
            let checker = RemoteBreachChecker(
                baseURL: "http://127.0.0.1:\(try #require(client.port))/", timeout: .seconds(30))
            #expect(try await checker.breachCount(ofPassword: "password") == 3_861_493)
            #expect(try await checker.breachCount(ofPassword: "not in the sample: \(UUID())") == 0)
        }
    }

    @Test func headAnswersTheHeadersOfGetWithoutTheBody() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let get = try await client.execute(uri: "/range/5BAA6", method: .get)
            let head = try await client.exchange("HEAD /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let (fields, body) = headAndBody(head)
            #expect(fields.hasPrefix("HTTP/1.1 200 OK"))
            #expect(fields.contains("Content-Length: \(get.body.readableBytes)"))
            #expect(fields.contains("ETag: \(try #require(get.headers[.eTag]))"))
            #expect(body.isEmpty)
        }
    }

    /// Schemathesis found a keep-alive connection answering nothing after a HEAD.
    @Test func aRequestAfterHeadOnTheSameConnectionIsAnswered() async throws {
        let response = try await ServerFixture.exchange(
            "HEAD /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(response.hasSuffix("ok\n"))
    }

    @Test func theRouterAnswersHeadToo() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let head = try await client.execute(uri: "/range/5BAA6", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "22424")
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func aPathBelowARangeIsNotARange() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let response = try await client.execute(uri: "/range/5BAA6/x", method: .get)
            #expect(response.status == .notFound)
        }
    }

    /// The idle timeout is set on a live server's connections, router routes included (the
    /// timings themselves are specified in HotRouteStateMachineTests, on virtual time): a
    /// request whose body never arrives is closed after it.
    // The whole suite's parallel tests slow its start: 40–52 s in full runs on 2 cores.
    @Test(.timeLimit(.minutes(3)))
    func aRouterRequestWhoseBodyNeverArrivesIsClosedAfterTheIdleTimeout() async throws {
        let fixture = try ServerFixture()
        // Long enough for the test to connect and write on a busy machine.
        try await fixture.application(idleTimeout: .seconds(2)).test(.live) { client in
            // `exchange` returns only once the server closes the connection.
            let response = try await client.exchange(
                "POST /v1/check/batch HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"sha1\"")
            #expect(!response.contains("200 OK"))
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        // `exchange` returns only once the server closes the connection.
        let response = try await ServerFixture.exchange(
            "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let (fields, body) = headAndBody(response)
        #expect(fields.hasPrefix("HTTP/1.1 200 OK"))
        let expected = try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")
        #expect(Array(body.utf8) == expected)
    }

    /// The handler writes its heads itself: they name the server as the router's do.
    @Test func hotRoutesAndTheRouterNameTheSameServer() async throws {
        let response = try await ServerFixture.exchange(
            "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(response.components(separatedBy: "\r\nServer: breachdb\r\n").count == 3)
    }

    /// An HTTP/1.0 client is answered in HTTP/1.0, kept alive only when it asks, and told so.
    @Test func anHTTP1_0ClientIsKeptAliveOnlyWhenItAsks() async throws {
        let expected = try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")
        // The second request has no keep-alive: `exchange` returns once the server closes.
        let response = try await ServerFixture.exchange(
            "GET /range/5BAA6 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + "GET /range/5BAA6 HTTP/1.0\r\n\r\n")
        let answers = response.components(separatedBy: "HTTP/1.0 200 OK\r\n").dropFirst()
        try #require(answers.count == 2)
        let (keptAlive, keptAliveBody) = headAndBody(String(answers.first!))
        #expect(keptAlive.contains("\r\nConnection: keep-alive"))
        #expect(Array(keptAliveBody.utf8) == expected)
        let (last, lastBody) = headAndBody(String(answers.last!))
        #expect(!last.contains("Connection:"))
        #expect(Array(lastBody.utf8) == expected)
    }
}
