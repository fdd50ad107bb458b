import BreachHash
import BreachIndex
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import BreachServer

/// A connection's life through the pipeline the server sets up (NIO's HTTP/1 codec, the
/// hot-route handler, Hummingbird's conversion to HTTP types and its connection handler), on
/// an `EmbeddedChannel` with virtual time: graceful shutdown, the client's half-close,
/// `Expect: 100-continue`, chunked bodies and repeated fields. The router is played by the
/// test at the pipeline's end, as Hummingbird's `HTTPChannelHandler` would.
@Suite struct HotRouteConnectionTests {
    typealias StalledClient = HotRouteStateMachineTests.StalledClient

    /// Records the events that reach the router's side, as Hummingbird's async channel sees them.
    final class RouterSide: ChannelInboundHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        var inputClosed = false
        /// Errors caught, on which Hummingbird answers 400 and closes.
        var errors = 0

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { inputClosed = true }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            errors += 1
            context.fireErrorCaught(error)
        }
    }

    struct Connection {
        let channel: EmbeddedChannel
        let client: StalledClient
        let router: RouterSide

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// The parts of one request the router got: its head and its body's bytes.
        func routerRequest() throws -> (head: HTTPRequest, body: String)? {
            guard case .head(let head) = try channel.readInbound(as: HTTPRequestPart.self) else { return nil }
            var body = ""
            while let part = try channel.readInbound(as: HTTPRequestPart.self) {
                switch part {
                case .body(let bytes): body += String(buffer: bytes)
                case .end: return (head, body)
                case .head: return nil
                }
            }
            return nil
        }

        /// The router answers its oldest request with `body`, as Hummingbird writes an answer.
        func routerAnswers(_ body: String) {
            let head = HTTPResponse(status: .ok, headerFields: [.contentLength: String(body.utf8.count)])
            channel.write(HTTPResponsePart.head(head), promise: nil)
            channel.write(HTTPResponsePart.body(ByteBuffer(string: body)), promise: nil)
            channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
        }
    }

    /// The hot-route handler's pipeline as `HotRouteStateMachineTests` builds it, then
    /// Hummingbird's conversion and connection handler, and the router's side.
    func connection(apiTokens: [String]? = nil) throws -> Connection {
        let (channel, client) = try HotRouteStateMachineTests().connection(apiTokens: apiTokens)
        let router = RouterSide()
        try channel.pipeline.syncOperations.addHandlers([
            HTTP1ToHTTPServerCodec(secure: false),
            HTTPConnectionStateHandler(idleTimeout: nil, logger: Logger(label: "test")), router,
        ])
        return Connection(channel: channel, client: client, router: router)
    }

    static let check = #"{"password": "password"}"#
    static let checkAnswer = #"{"breached":true,"count":3861493}"#
    static let batch = #"{"sha1": ["5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"]}"#

    /// `HotRouteChannel` lets Hummingbird set up the connection and puts the hot routes in:
    /// one request decoder, which tells no encoder, then the hot-route handler, then
    /// Hummingbird's conversion. Fails when a Hummingbird upgrade sets up something else.
    @Test func theChannelPutsTheHotRoutesIntoHummingbirdsPipeline() throws {
        let fixture = try ServerFixture()
        let channel = try Self.hotRouteChannel(serving: fixture)
        let names = channel.pipeline.debugDescription.split(separator: "\n").compactMap { line in
            ["HTTPResponseEncoder", "ByteToMessageHandler", "HotRouteHandler", "HTTP1ToHTTPServerCodec"].first {
                line.contains($0)
            }
        }
        #expect(names == ["HTTPResponseEncoder", "ByteToMessageHandler", "HotRouteHandler", "HTTP1ToHTTPServerCodec"])
    }

    /// The channel's write buffer high mark is above the longest plain range answer at the real
    /// density (1,907 lines, counts of any length), so that sending one does not toggle the
    /// channel's writability (two events through the pipeline an answer).
    @Test func theWriteBuffersHighMarkIsAboveAPlainRangeAnswerAtTheRealDensity() throws {
        let fixture = try ServerFixture()
        let channel = try Self.hotRouteChannel(serving: fixture, writeMarks: .init(low: 1, high: 2))
        let marks = try channel.getOption(ChannelOptions.writeBufferWaterMark).wait()
        #expect(marks.high > RangeRow.linesCapacity(count: 1907, digits: HashKind.sha1.suffixHexDigitCount) + 1024)
    }

    /// A connection set up by `HotRouteChannel` over the fixture's indexes (its write buffer
    /// marks first set to `writeMarks`, if given).
    static func hotRouteChannel(
        serving fixture: ServerFixture, writeMarks: ChannelOptions.Types.WriteBufferWaterMark? = nil
    ) throws -> EmbeddedChannel {
        let routes = HotRouteHandler.Routes(
            indexes: fixture.indexes, rangeCache: RangeCache(capacity: 1 << 10),
            check: CheckRoutes(indexes: fixture.indexes, allowPlaintext: true),
            policy: RequestPolicy(
                rateLimit: nil, apiTokens: nil, metrics: RouteMetrics(), logger: Logger(label: "test")),
            idleTimeout: nil)
        let channel = EmbeddedChannel()
        if let writeMarks { try channel.setOption(ChannelOptions.writeBufferWaterMark, value: writeMarks).wait() }
        let base = HTTP1Channel(responder: { _, _, _ in })
        let setup = HotRouteChannel(base: base, routes: routes).setup(channel: channel, logger: Logger(label: "test"))
        channel.embeddedEventLoop.run()
        _ = try setup.wait()
        return channel
    }

    // MARK: Graceful shutdown

    @Test func gracefulShutdownClosesAnIdleConnectionAtOnce() throws {
        let connection = try connection()
        try connection.send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.client.drain()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!connection.channel.isActive)
    }

    @Test func gracefulShutdownSendsTheHotAnswerBeingSentThenCloses() throws {
        let connection = try connection()
        try connection.send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(connection.channel.isActive)
        connection.client.drain()
        #expect(!connection.channel.isActive)
        #expect(connection.client.received.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(connection.client.received.contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
    }

    @Test func gracefulShutdownAnswersAHotRequestWhoseBodyIsArrivingThenCloses() throws {
        let connection = try connection()
        let body = Self.check
        try connection.send(
            "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body.prefix(5))
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(connection.channel.isActive)
        try connection.send(String(body.dropFirst(5)))
        connection.client.drain()
        #expect(!connection.channel.isActive)
        #expect(connection.client.received.hasSuffix(Self.checkAnswer))
    }

    /// A client that keeps pipelining does not hold off a graceful shutdown: no further
    /// request is read, the ones already read are answered, then the connection closes.
    @Test func gracefulShutdownStopsReadingAPipeliningClientAnswersWhatItReadThenCloses() throws {
        let connection = try connection()
        let requests = HotRouteHandler.maximumQueuedAnswers + 1
        let batch = String(repeating: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", count: requests)
        try connection.send(batch)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        var rounds = 0
        while connection.channel.isActive, rounds < 10 {
            let reads = connection.client.readsAsked
            connection.channel.read()  // as auto-read asks after each read
            connection.client.drain()
            // This client always has more requests, which a read of the socket delivers.
            if connection.client.readsAsked > reads { try connection.send(batch) }
            rounds += 1
        }
        #expect(!connection.channel.isActive)
        #expect(connection.client.answersWritten == requests)
    }

    @Test func gracefulShutdownWaitsForTheRoutersAnswerThenCloses() throws {
        let connection = try connection()
        try connection.send("GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(connection.channel.isActive)
        #expect(try connection.routerRequest()?.head.path == "/v1/index")
        connection.routerAnswers("index\n")
        #expect(!connection.channel.isActive)
        #expect(connection.client.received.hasSuffix("\r\n\r\nindex\n"))
    }

    // MARK: Half-close

    /// A client may shut its write side once it has sent its requests; Hummingbird then
    /// finishes and closes, so the end of input waits for the hot answer still being sent.
    @Test func afterTheClientsHalfCloseTheHotAnswerIsStillSentThenTheRouterSeesTheEnd() throws {
        let connection = try connection()
        try connection.send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!connection.router.inputClosed)
        connection.client.drain()
        #expect(connection.router.inputClosed)
        #expect(connection.client.received.contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
    }

    /// Hummingbird shuts the output once it has no request left (or after an answer that
    /// closes); the client having shut its side, NIO makes that a full close, which drops
    /// what is unsent. The close reaches the socket only once the router's answer has left.
    @Test(arguments: ["", "Connection: close\r\n"])
    func afterTheClientsHalfCloseTheOutputIsShutOnceTheRoutersAnswerHasLeft(_ fields: String) throws {
        let connection = try connection()
        try connection.send("GET /v1/index HTTP/1.1\r\nHost: a\r\n\(fields)\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        _ = try connection.routerRequest()
        connection.routerAnswers("index\n")
        connection.channel.close(mode: .output, promise: nil)
        #expect(connection.client.closesAsked == [])
        connection.client.drain()
        #expect(connection.client.closesAsked == [.output])
        #expect(connection.client.received.hasSuffix("\r\n\r\nindex\n"))
    }

    /// A connection whose router answer is written and not yet sent, so that a close of its
    /// output is held.
    func connectionWithARouterAnswerUnsent() throws -> Connection {
        let connection = try connection()
        try connection.send("GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try connection.routerRequest()
        connection.routerAnswers("index\n")
        return connection
    }

    /// Every promise of a held close completes once it goes (here the embedded channel, which
    /// has no half-closure, fails them).
    @Test func theHeldOutputClosesPromisesCompleteOnceItGoes() throws {
        let connection = try connectionWithARouterAnswerUnsent()
        let promises = (0..<2).map { _ in connection.channel.eventLoop.makePromise(of: Void.self) }
        var completed = 0
        for promise in promises {
            connection.channel.close(mode: .output, promise: promise)
            promise.futureResult.whenComplete { _ in completed += 1 }
        }
        #expect(completed == 0)
        connection.client.drain()
        #expect(completed == 2)
    }

    /// A held close's promise is not left behind when the channel closes meanwhile.
    @Test func aHeldOutputClosesPromiseFailsWhenTheChannelCloses() throws {
        let connection = try connectionWithARouterAnswerUnsent()
        let held = connection.channel.eventLoop.makePromise(of: Void.self)
        connection.channel.close(mode: .output, promise: held)
        var failed = false
        held.futureResult.whenFailure { _ in failed = true }
        _ = try? connection.channel.close().wait()
        connection.channel.embeddedEventLoop.run()
        #expect(failed)
    }

    /// Pipelined requests held while the client does not read are all answered before the
    /// end of input reaches Hummingbird.
    @Test func afterTheClientsHalfCloseHeldPipelinedRequestsAreAllAnswered() throws {
        let connection = try connection()
        let requests = HotRouteHandler.maximumQueuedAnswers + 3
        try connection.send(
            String(repeating: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAdd-Padding: true\r\n\r\n", count: requests))
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        var rounds = 0
        while connection.client.answersWritten < requests, rounds < requests {
            #expect(!connection.router.inputClosed)
            connection.client.drain()
            rounds += 1
        }
        connection.client.drain()
        #expect(connection.client.answersWritten == requests)
        #expect(connection.router.inputClosed)
    }

    @Test func theClientsHalfCloseOnAnIdleConnectionReachesTheRouterAtOnce() throws {
        let connection = try connection()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(connection.router.inputClosed)
    }

    // MARK: Expect: 100-continue

    /// The head of a check (to `path`) whose client waits for `100 Continue`, with `fields` besides.
    static func checkExpectingContinue(_ fields: String, path: String = "/v1/check") -> String {
        "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n\(fields)\r\n"
    }

    @Test func aHotCheckThatExpectsContinueGetsItThenItsAnswer() throws {
        let connection = try connection()
        try connection.send(Self.checkExpectingContinue("Content-Length: \(Self.check.utf8.count)\r\n"))
        #expect(connection.client.received == "HTTP/1.1 100 Continue\r\n\r\n")
        try connection.send(Self.check)
        #expect(connection.client.received.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
        #expect(connection.client.received.hasSuffix(Self.checkAnswer))
    }

    @Test func aRouterRequestThatExpectsContinueGetsItThenItsAnswer() throws {
        let connection = try connection()
        try connection.send(
            Self.checkExpectingContinue("Content-Length: \(Self.batch.utf8.count)\r\n", path: "/v1/check/batch"))
        #expect(connection.client.received == "HTTP/1.1 100 Continue\r\n\r\n")
        try connection.send(Self.batch)
        let request = try #require(try connection.routerRequest())
        #expect(request.body == Self.batch)
        connection.routerAnswers("batch\n")
        #expect(connection.client.received.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
        #expect(connection.client.received.hasSuffix("\r\n\r\nbatch\n"))
    }

    /// A check pipelined behind a request the router is answering waits for that answer;
    /// its `100 Continue` follows the earlier answer, not into the middle of it, and the
    /// check is answered on the hot path.
    @Test func aContinueOwedBehindARouterAnswerIsSentAfterIt() throws {
        let connection = try connection()
        try connection.send(
            "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n"
                + Self.checkExpectingContinue("Content-Length: \(Self.check.utf8.count)\r\n"))
        #expect(connection.client.received.isEmpty)
        #expect(try connection.routerRequest()?.head.path == "/v1/index")
        connection.routerAnswers("index\n")
        #expect(connection.client.received.hasSuffix("\r\n\r\nindex\nHTTP/1.1 100 Continue\r\n\r\n"))
        try connection.send(Self.check)
        #expect(connection.client.received.hasSuffix(Self.checkAnswer))
    }

    /// A check whose token is accepted is invited to send its body (one refused is answered
    /// 401 at once: HotRouteConnectionTests+Closing).
    @Test func aCheckWhoseTokenIsAcceptedIsSentContinue() throws {
        let connection = try connection(apiTokens: ["s3cret"])
        try connection.send(
            Self.checkExpectingContinue("Authorization: Bearer s3cret\r\nContent-Length: \(Self.check.utf8.count)\r\n"))
        #expect(connection.client.received == "HTTP/1.1 100 Continue\r\n\r\n")
        try connection.send(Self.check)
        #expect(connection.client.received.contains("HTTP/1.1 200 OK\r\n"))
    }

    @Test func anHTTP1_0ClientsExpectationIsIgnored() throws {
        let connection = try connection()
        try connection.send(
            "POST /v1/check HTTP/1.0\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                + "Content-Length: \(Self.check.utf8.count)\r\n\r\n")
        #expect(connection.client.received.isEmpty)
    }

    // MARK: Chunked bodies

    func chunked(_ body: String, in pieces: Int) -> String {
        let size = (body.utf8.count + pieces - 1) / pieces
        var text = ""
        var rest = Substring(body)
        while !rest.isEmpty {
            let chunk = rest.prefix(size)
            text += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n"
            rest = rest.dropFirst(size)
        }
        return text + "0\r\n\r\n"
    }

    @Test func aChunkedCheckIsAnsweredOnTheHotPath() throws {
        let connection = try connection()
        try connection.send(
            "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunked(Self.check, in: 3))
        #expect(connection.client.received.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(connection.client.received.hasSuffix(Self.checkAnswer))
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
    }

    @Test func aChunkedRouterRequestReachesTheRouterWhole() throws {
        let connection = try connection()
        try connection.send(
            "POST /v1/check/batch HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunked(Self.batch, in: 4))
        #expect(try connection.routerRequest()?.body == Self.batch)
    }

    /// A chunked check larger than the hot path takes is the router's (which answers 413),
    /// with every byte read so far.
    @Test func aChunkedCheckTooLargeForTheHotPathReachesTheRouterWhole() throws {
        let connection = try connection()
        let body = "{\"password\": \"" + String(repeating: "x", count: CheckRoutes.bodyLimit) + "\"}"
        try connection.send(
            "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunked(body, in: 8))
        let request = try #require(try connection.routerRequest())
        #expect(request.head.path == "/v1/check")
        #expect(request.body == body)
        #expect(connection.client.received.isEmpty)
    }

    // MARK: Repeated fields

    /// `Connection` on two lines is one list (RFC 9110 §5.3): `close` on either closes, on both paths.
    @Test func aConnectionCloseOnASecondLineClosesAfterAHotAnswer() throws {
        let connection = try connection()
        try connection.send(
            "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
        connection.client.drain()
        #expect(connection.client.received.contains("\r\nConnection: close\r\n"))
        #expect(!connection.channel.isActive)
    }

    @Test func aConnectionCloseOnASecondLineClosesAfterARouterAnswer() throws {
        let connection = try connection()
        try connection.send("GET /v1/index HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
        let request = try #require(try connection.routerRequest())
        #expect(request.head.headerFields[.connection] == "close")
        connection.routerAnswers("index\n")
        // Hummingbird then ends the connection, on `close` in the request.
        #expect(connection.client.received.contains("\r\nConnection: close\r\n"))
    }

    @Test func anExpectationOnASecondLineIsMet() throws {
        let connection = try connection()
        try connection.send(
            "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nExpect: x-other\r\n"
                + "Expect: 100-continue\r\nContent-Length: \(Self.check.utf8.count)\r\n\r\n")
        #expect(connection.client.received == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    // MARK: Errors

    /// Bytes that are no request behind pipelined requests held while the client does not
    /// read: every earlier request is answered, in order, and its answer sent before the error
    /// reaches the router (whose 400 and close would otherwise overtake and drop those answers).
    @Test func anErrorBehindHeldPipelinedRequestsReachesTheRouterAfterTheirAnswers() throws {
        let connection = try connection()
        let requests = HotRouteHandler.maximumQueuedAnswers + 3
        let pipelined = String(repeating: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", count: requests)
        // The channel rethrows the error once it has reached the pipeline's end.
        try? connection.send(pipelined + "NOT HTTP\r\n\r\n")
        var rounds = 0
        while connection.client.answersWritten < requests, rounds < requests {
            #expect(connection.router.errors == 0)
            connection.client.drain()
            rounds += 1
        }
        #expect(connection.client.answersWritten == requests)
        // The last answers are written, not yet sent.
        #expect(!connection.client.pending.isEmpty)
        #expect(connection.router.errors == 0)
        connection.client.drain()
        #expect(connection.router.errors == 1)
        let answered = connection.client.received.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1
        #expect(answered == requests)
    }

    /// Hummingbird answers bytes that are no request with a 400 of its own, which answers no
    /// request the router was given: the connection's count of the router's requests stays
    /// at zero, so a request reaching the handler afterwards is still answered on the hot path.
    @Test func theRoutersAnswerToBytesThatAreNoRequestAnswersNoRequest() throws {
        let connection = try connection()
        #expect(throws: (any Error).self) { try connection.send("NOT HTTP\r\n\r\n") }
        // Hummingbird's answer to the parse error (`HTTPChannelHandler.handleHTTP`).
        connection.channel.write(
            HTTPResponsePart.head(HTTPResponse(status: .badRequest, headerFields: [.contentLength: "0"])), promise: nil)
        connection.channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
        #expect(connection.client.received.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        // A request as the decoder would pass it on, had it not failed.
        let decoder = try connection.channel.pipeline.syncOperations.context(
            handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/range/5BAA6", headers: ["Host": "a"])
        decoder.fireChannelRead(NIOAny(HTTPServerRequestPart.head(head)))
        decoder.fireChannelRead(NIOAny(HTTPServerRequestPart.end(nil)))
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
        #expect(connection.client.received.contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
    }
}

extension HotRouteChannel {
    /// NIO's HTTP/1 handlers as Hummingbird's `HTTP1Channel.setup` adds them, with the hot
    /// routes put in as `setup` does; the rest of the pipeline is the test's.
    static func addHTTP1Handlers(
        routes: HotRouteHandler.Routes, decoderLimits: NIOHTTPDecoderLimitConfiguration,
        to operations: ChannelPipeline.SynchronousOperations
    ) throws {
        try operations.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        let put = putHotRoutes(routes: routes, decoderLimits: decoderLimits, in: operations)
        (operations.eventLoop as? EmbeddedEventLoop)?.run()
        try put.wait()
    }
}
