import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// `Expect: 100-continue` and the client's half-close through a live server, on a real
/// socket, on both paths (the transitions themselves are specified in HotRouteConnectionTests).
@Suite struct ConnectionLifecycleLiveTests {
    /// A client whose write side can be shut while it reads on.
    func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// Sends a head that expects `100 Continue`, waits for it (a client such as curl would
    /// otherwise wait a second and send the body anyway), then the body; the whole exchange.
    func exchangeExpectingContinue(head: String, body: String, port: Int) async throws -> String {
        let connection = try await connect(port: port)
        var received = ""
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: head))
            var iterator = inbound.makeAsyncIterator()
            while !received.contains("\r\n\r\n"), let chunk = try await iterator.next() {
                received += String(buffer: chunk)
            }
            guard received == "HTTP/1.1 100 Continue\r\n\r\n" else { return }
            try await outbound.write(ByteBuffer(string: body))
            while let chunk = try await iterator.next() { received += String(buffer: chunk) }
        }
        return received
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["/v1/check", "/v1/check/batch"])
    func aPostThatExpectsContinueGetsItBeforeItsBodyIsSent(_ path: String) async throws {
        let fixture = try ServerFixture()
        let body =
            path == "/v1/check"
            ? #"{"password": "password"}"# : #"{"sha1": ["5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"]}"#
        try await fixture.application().test(.live) { client in
            let received = try await exchangeExpectingContinue(
                head: "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n",
                body: body, port: try #require(client.port))
            #expect(received.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
            #expect(received.contains("3861493"))
        }
    }

    /// A client that sends its requests, shuts its write side (as `nc -N` does) and only then
    /// reads gets every answer, hot ones included: more than the socket buffers hold, so most
    /// wait as requests when the end of input arrives.
    @Test(.timeLimit(.minutes(1)), arguments: ["", "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n"])
    func afterTheClientsHalfCloseEveryPipelinedAnswerArrives(routerFirst: String) async throws {
        let fixture = try ServerFixture()
        let requests = 200
        try await fixture.application().test(.live) { client in
            let connection = try await connect(port: try #require(client.port))
            var received = ""
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: routerFirst
                            + String(
                                repeating: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAdd-Padding: true\r\n\r\n",
                                count: requests)))
                outbound.finish()  // shuts the write side
                try await Task.sleep(for: .milliseconds(500))
                for try await chunk in inbound { received += String(buffer: chunk) }
            }
            let answers = requests + (routerFirst.isEmpty ? 0 : 1)
            let received200 = received.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1
            if routerFirst.isEmpty {
                #expect(received200 == answers)
            } else {
                // Known bug (issue 20), not found yet: under load, some of the last answers are
                // sometimes not sent before the connection closes. Still run, and reported.
                withKnownIssue("answers lost after a half-close behind a router request", isIntermittent: true) {
                    #expect(received200 == answers)
                }
            }
        }
    }
}
