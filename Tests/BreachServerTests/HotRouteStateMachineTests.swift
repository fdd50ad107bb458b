import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import BreachServer

/// The hot-route handler's connection states, on an `EmbeddedChannel` whose clock is
/// advanced by hand: idle timeouts and backpressure without waiting on the wall clock.
@Suite struct HotRouteStateMachineTests {
    static let idleTimeout = TimeAmount.seconds(75)

    /// The socket end of the pipeline, with a client that reads nothing until told: it keeps
    /// what is written (its promises pending, as NIO's are until the bytes leave) and counts
    /// the reads asked of the socket.
    final class StalledClient: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var pending: [EventLoopPromise<Void>?] = []
        /// Every byte written, in order.
        var received = ""
        var readsAsked = 0
        /// Answers written: each ends with the one write that carries a promise (the
        /// router's too, whose end the hot-route handler writes with one).
        var answersWritten = 0
        /// The closes that reached the socket, by mode.
        var closesAsked: [CloseMode] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            pending.append(promise)
            if promise != nil { answersWritten += 1 }
            if case .byteBuffer(let bytes) = unwrapOutboundIn(data) { received += String(buffer: bytes) }
        }

        func flush(context: ChannelHandlerContext) {}

        func read(context: ChannelHandlerContext) {
            readsAsked += 1
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            closesAsked.append(mode)
            context.close(mode: mode, promise: promise)
        }

        /// The client takes everything written so far.
        func drain() {
            let taken = pending
            pending = []
            for promise in taken { promise?.succeed() }
        }
    }

    /// A connected channel with NIO's HTTP/1 codec and the hot-route handler as the server
    /// sets them up; request parts for the router arrive at the pipeline's end.
    func connection(
        idleTimeout: TimeAmount? = idleTimeout, requestTimeout: TimeAmount? = nil, apiTokens: [String]? = nil
    ) throws -> (EmbeddedChannel, StalledClient) {
        let fixture = try ServerFixture()
        let policy = RequestPolicy(
            rateLimit: nil, apiTokens: apiTokens.map(BearerTokens.init), metrics: RouteMetrics(),
            logger: Logger(label: "test"))
        let routes = HotRouteHandler.Routes(
            indexes: fixture.indexes, rangeCache: RangeCache(capacity: 1 << 20),
            check: CheckRoutes(indexes: fixture.indexes, allowPlaintext: true), policy: policy,
            idleTimeout: idleTimeout, requestTimeout: requestTimeout)
        let channel = EmbeddedChannel()
        let client = StalledClient()
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(client)
        try HotRouteChannel.addHTTP1Handlers(routes: routes, decoderLimits: .init(), to: operations)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, client)
    }

    func send(_ text: String, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// The router's answer to the oldest request it holds: `body` with its length, as Hummingbird writes it.
    func routerAnswers(_ body: String, on channel: EmbeddedChannel) throws {
        guard case .head = try channel.readInbound(as: HTTPServerRequestPart.self),
            case .end = try channel.readInbound(as: HTTPServerRequestPart.self)
        else {
            Issue.record("the router did not get a whole request")
            return
        }
        let head = HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["Content-Length": String(body.utf8.count)])
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
    }

    /// Schemathesis found it: after a hot-route answer, the router's answer to a HEAD went
    /// with its body and the next GET's without, so the client waited for it.
    @Test func afterAHotAnswerTheRouterAnswersHeadWithoutBodyAndTheNextGetWithIt() throws {
        let (channel, client) = try connection()
        try send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
        client.drain()
        try send("HEAD /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
        try routerAnswers("22424 bytes, not sent", on: channel)
        try send("GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
        try routerAnswers("ready\n", on: channel)
        let answers = client.received.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
        try #require(answers.count == 3)
        #expect(answers[answers.startIndex + 1].hasSuffix("\r\n\r\n"))
        #expect(answers.last!.hasSuffix("\r\n\r\nready\n"))
    }

    @Test func aStalledRequestHeadIsClosedAfterTheIdleTimeout() throws {
        let (channel, _) = try connection()
        try send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n", on: channel)
        channel.embeddedEventLoop.advanceTime(by: Self.idleTimeout - .seconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func aRouterRequestWhoseBodyNeverArrivesIsClosedAfterTheIdleTimeout() throws {
        let (channel, _) = try connection()
        try send(
            "POST /v1/check/batch HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sha1\"",
            on: channel)
        // The router has the head and the first bytes of the body.
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("the router did not get the request")
            return
        }
        #expect(head.uri == "/v1/check/batch")
        channel.embeddedEventLoop.advanceTime(by: Self.idleTimeout)
        #expect(!channel.isActive)
    }

    /// A body trickled a byte at a time, each within the idle timeout, is cut off at the
    /// request deadline, on either path.
    @Test(arguments: ["/v1/check", "/v1/check/batch"])
    func aTrickledBodyIsCutOffAtTheRequestDeadline(_ path: String) throws {
        let (channel, _) = try connection(idleTimeout: .seconds(2), requestTimeout: .seconds(10))
        try send(
            "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            on: channel)
        for _ in 0..<6 {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
            try send(" ", on: channel)
        }
        #expect(channel.isActive)  // 9 s in, every byte within the idle timeout
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
        #expect(!channel.isActive)
    }

    @Test func aRouterRequestReadWholeKeepsItsConnectionWhileTheRouterAnswers() throws {
        let (channel, _) = try connection()
        try send("GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
        channel.embeddedEventLoop.advanceTime(by: Self.idleTimeout * 3)
        #expect(channel.isActive)
        // The router's answer ends; from then on the connection is idle.
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: Self.idleTimeout)
        #expect(!channel.isActive)
    }

    @Test func hotRequestsKeepAConnectionAlivePastTheIdleTimeout() throws {
        let (channel, client) = try connection()
        for _ in 0..<4 {
            try send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
            client.drain()
            channel.embeddedEventLoop.advanceTime(by: .nanoseconds(Self.idleTimeout.nanoseconds / 2))
        }
        #expect(channel.isActive)
        #expect(client.answersWritten == 4)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(Self.idleTimeout.nanoseconds / 2))
        #expect(!channel.isActive)
    }

    @Test func answersTheClientDoesNotTakeCountAsIdle() throws {
        let (channel, client) = try connection()
        try send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", on: channel)
        #expect(client.answersWritten == 1)
        channel.embeddedEventLoop.advanceTime(by: Self.idleTimeout)
        #expect(!channel.isActive)
    }

    /// A client that pipelines padded requests (answered afresh each) and reads nothing
    /// gets a few answers queued; the rest wait as requests, and the socket is not read.
    @Test func aClientThatDoesNotReadStopsBeingReadUntilItDrains() throws {
        let (channel, client) = try connection(idleTimeout: nil)
        let requests = 100
        let request = "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAdd-Padding: true\r\n\r\n"
        try send(String(repeating: request, count: requests), on: channel)
        #expect(client.answersWritten == HotRouteHandler.maximumQueuedAnswers)
        channel.read()
        #expect(client.readsAsked == 0)
        var rounds = 0
        while client.answersWritten < requests, rounds < requests {
            let before = client.answersWritten
            client.drain()
            // As answers leave, as many more are written: never more queued than the bound.
            #expect(client.answersWritten - before <= HotRouteHandler.maximumQueuedAnswers)
            #expect(client.pending.filter { $0 != nil }.count <= HotRouteHandler.maximumQueuedAnswers)
            rounds += 1
        }
        #expect(client.answersWritten == requests)
        #expect(client.readsAsked == 0)  // answers still queued
        client.drain()
        #expect(client.readsAsked == 1)  // the held read, made once the client has drained
        channel.read()
        #expect(client.readsAsked == 2)
    }
}
