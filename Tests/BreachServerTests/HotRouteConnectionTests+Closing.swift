import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import Testing

@testable import BreachServer

/// How a connection ends, through the pipeline the server sets up: refusals made on a head
/// alone, graceful shutdown over a held head, an error behind answers not yet sent, answers
/// the client does not take, and requests after one that closes.
extension HotRouteConnectionTests {
    static let overTheLimit = "Content-Length: \(CheckRoutes.bodyLimit + 1)\r\n"

    /// The connection is closed once the client has taken what was written.
    func expectClosedOnceDrained(_ connection: Connection) {
        connection.client.drain()
        #expect(!connection.channel.isActive)
    }

    // MARK: Refused on the head

    /// RFC 9110 §10.1.1: a client waiting for `100 Continue` with a body the daemon refuses
    /// gets the refusal at once, not after the request timeout; the connection then closes
    /// instead of reading a body the client may send after all.
    @Test func aCheckExpectingContinueWithABodyDeclaredOverTheLimitIsAnswered413AtOnceThenClosed() throws {
        let connection = try connection()
        try connection.send(Self.checkExpectingContinue(Self.overTheLimit))
        #expect(connection.client.received.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(connection.client.received.contains("\r\nConnection: close\r\n"))
        #expect(connection.client.received.contains(#""body_too_large""#))
        #expect(!connection.client.received.contains("100 Continue"))
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
        expectClosedOnceDrained(connection)
    }

    @Test func aCheckExpectingContinueWithARefusedTokenIsAnswered401AtOnceThenClosed() throws {
        let connection = try connection(apiTokens: ["s3cret"])
        try connection.send(
            Self.checkExpectingContinue("Authorization: Bearer wrong\r\nContent-Length: \(Self.check.utf8.count)\r\n"))
        #expect(connection.client.received.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(connection.client.received.contains("\r\nWWW-Authenticate: Bearer\r\n"))
        #expect(connection.client.received.contains("\r\nConnection: close\r\n"))
        expectClosedOnceDrained(connection)
    }

    /// The refusals in the router's order: a missing token is refused before the size.
    @Test func aCheckExpectingContinueOverTheLimitWithARefusedTokenIsAnswered401() throws {
        let connection = try connection(apiTokens: ["s3cret"])
        try connection.send(Self.checkExpectingContinue(Self.overTheLimit))
        #expect(connection.client.received.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
    }

    /// A body the client sends after all, once refused, is not read as a request.
    @Test func aBodySentAfterARefusalOnTheHeadIsIgnored() throws {
        let connection = try connection()
        try connection.send(Self.checkExpectingContinue(Self.overTheLimit))
        try connection.send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(connection.client.answersWritten == 1)
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
    }

    /// Behind a request the router is answering, the refusal follows its answer; no
    /// `100 Continue` invites the refused body.
    @Test func aCheckExpectingContinueOverTheLimitBehindARouterRequestIsAnswered413AfterIt() throws {
        let connection = try connection()
        try connection.send(
            "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n" + Self.checkExpectingContinue(Self.overTheLimit))
        #expect(connection.client.received.isEmpty)
        #expect(try connection.routerRequest()?.head.path == "/v1/index")
        connection.routerAnswers("index\n")
        #expect(connection.client.received.contains("\r\n\r\nindex\nHTTP/1.1 413 Content Too Large\r\n"))
        #expect(!connection.client.received.contains("100 Continue"))
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
    }

    // MARK: Shutdown over a held head

    /// A graceful shutdown while the head of a check is held (the client not reading its
    /// answers) still reads that check's body, answers it, then closes.
    @Test func gracefulShutdownWithAHeadHeldReadsItsBodyAnswersItThenCloses() throws {
        let connection = try connection()
        let answers = HotRouteHandler.maximumQueuedAnswers
        try connection.send(
            String(repeating: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n", count: answers)
                + "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(Self.check.utf8.count)\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let reads = connection.client.readsAsked
        connection.channel.read()  // as auto-read asks after each read
        connection.client.drain()
        #expect(connection.client.readsAsked == reads + 1)
        #expect(connection.channel.isActive)
        try connection.send(Self.check)
        expectClosedOnceDrained(connection)
        #expect(connection.client.received.hasSuffix(Self.checkAnswer))
        #expect(connection.client.answersWritten == answers + 1)
    }

    // MARK: Errors behind answers

    /// Hummingbird answers bytes that are no request with 400 and closes, which drops answers
    /// not yet sent: the error reaches it only once the answer before it is sent.
    @Test func anErrorBehindOneUnsentAnswerWaitsForIt() throws {
        let connection = try connection()
        try? connection.send("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\nNOT HTTP\r\n\r\n")
        #expect(connection.router.errors == 0)
        connection.client.drain()
        #expect(connection.router.errors == 1)
    }

    // MARK: Answers not taken

    /// A client that does not take the router's answer (Hummingbird's writer waits for the
    /// socket, the answer never ends) is closed by the idle timeout.
    @Test func aClientThatDoesNotTakeARouterAnswerIsClosedAfterTheIdleTimeout() throws {
        let connection = try connection()
        try connection.send("GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try connection.routerRequest()?.head.path == "/v1/index")
        connection.channel.write(
            HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "1000000"])), promise: nil)
        connection.channel.writeAndFlush(
            HTTPResponsePart.body(ByteBuffer(repeating: 0x41, count: 1 << 16)), promise: nil)
        connection.channel.embeddedEventLoop.advanceTime(by: HotRouteStateMachineTests.idleTimeout - .seconds(1))
        #expect(connection.channel.isActive)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!connection.channel.isActive)
    }

    // MARK: Connection: close

    /// RFC 9112 §9.6: requests pipelined after one with `close` are not answered (NIO's
    /// decoder fails on them, and the error waits for the answer before it).
    @Test func aHotRequestPipelinedAfterOneThatClosesIsNotAnswered() throws {
        let connection = try connection()
        // The channel rethrows the decoder's error once it has reached the pipeline's end.
        try? connection.send(
            "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                + "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n" + "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(connection.client.answersWritten == 1)
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
        expectClosedOnceDrained(connection)
        #expect(connection.router.errors == 0)
    }

    @Test func aRequestPipelinedAfterARouterRequestThatClosesDoesNotReachTheRouter() throws {
        let connection = try connection()
        try? connection.send(
            "GET /v1/index HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                + "GET /v1/index HTTP/1.1\r\nHost: a\r\n\r\n" + "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try connection.routerRequest()?.head.path == "/v1/index")
        #expect(try connection.channel.readInbound(as: HTTPRequestPart.self) == nil)
        #expect(connection.client.answersWritten == 0)
    }
}
