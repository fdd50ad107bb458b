import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// `Expect: 100-continue` and the client's half-close through a live server, on a real
/// socket, on both paths (the transitions themselves are specified in HotRouteConnectionTests).
@Suite struct ConnectionLifecycleLiveTests {
    /// A client whose write side can be shut while it reads on. Its receive buffer is kept
    /// small (Linux grows one on loopback up to `tcp_rmem`'s maximum, 32 MB on some machines), so that answers it does
    /// not read wait in the server, as they do for a client across a network.
    func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 64 << 10)
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

    /// What a client pipelines before it shuts its write side: more answers than the socket
    /// buffers hold, so that most wait as requests, or as answers unsent, when the end of
    /// input arrives.
    enum Pipelined: String, CaseIterable, Sendable {
        case hotRanges = "ranges, answered by the hot path"
        case rangesBehindARouterRequest = "ranges behind a router request"
        case routerBatches = "batch checks, answered by the router"
        case routerBatchesTheLastClosing = "batch checks, the last with Connection: close"

        static let range = "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAdd-Padding: true\r\n\r\n"

        var requests: String {
            switch self {
            case .hotRanges: String(repeating: Self.range, count: 200)
            case .rangesBehindARouterRequest:
                "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n" + String(repeating: Self.range, count: 200)
            // About 70 KB an answer.
            case .routerBatches: String(repeating: Self.batch(), count: 100)
            case .routerBatchesTheLastClosing:
                String(repeating: Self.batch(), count: 99) + Self.batch(fields: "Connection: close\r\n")
            }
        }

        var answers: Int {
            switch self {
            case .hotRanges: 200
            case .rangesBehindARouterRequest: 201
            case .routerBatches, .routerBatchesTheLastClosing: 100
            }
        }

        static func batch(fields: String = "") -> String {
            let hashes = Array(repeating: #""5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8""#, count: 1_000)
            let body = #"{"sha1": ["# + hashes.joined(separator: ",") + "]}"
            return "POST /v1/check/batch HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\(fields)\r\n" + body
        }
    }

    /// The `200 OK` answers at the start of `received` whose bodies are whole (as long as
    /// their `Content-Length`).
    func wholeAnswers(in received: Data) -> Int {
        var answers = 0
        var start = received.startIndex
        while let end = received.range(of: Data("\r\n\r\n".utf8), in: start..<received.endIndex) {
            let head = String(decoding: received[start..<end.lowerBound], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 200 OK\r\n"),
                let field = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }
                ),
                let length = Int(field.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
                received.endIndex - end.upperBound >= length
            else { break }
            answers += 1
            start = end.upperBound + length
        }
        return answers
    }

    /// A client that sends its requests, shuts its write side (as `nc -N` does) and only then
    /// reads gets every answer whole, on either path: Hummingbird shuts the output once it has
    /// no request left (or after an answer that closes), and NIO then closes the connection
    /// whole, dropping what is unsent.
    @Test(.timeLimit(.minutes(1)), arguments: Pipelined.allCases)
    func afterTheClientsHalfCloseEveryPipelinedAnswerArrives(_ pipelined: Pipelined) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let connection = try await connect(port: try #require(client.port))
            var received = Data()
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: pipelined.requests))
                outbound.finish()  // shuts the write side
                try await Task.sleep(for: .milliseconds(500))
                for try await chunk in inbound { received.append(contentsOf: chunk.readableBytesView) }
            }
            #expect(wholeAnswers(in: received) == pipelined.answers)
        }
    }
}
