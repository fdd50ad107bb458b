import Dispatch
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Answers the two hot routes, `GET /range/{prefix}` and `POST /v1/check`, on the
/// connection's event loop, in front of Hummingbird's router, which answers everything else.
/// It sits on NIO's HTTP/1 parts, before the conversion to HTTP types (see `HotRouteChannel`).
///
/// Why SwiftNIO here: the same routes through Hummingbird's router (a task per connection,
/// hops between the event loop and the concurrency pool, a middleware chain per request)
/// served far fewer requests a second than nginx (docs/benchmarks.md, "The daemon under
/// load"). This handler answers from the same `RangeRoute` and `CheckRoutes` code without
/// leaving the event loop; converting to and from HTTP types showed in the daemon's
/// profiles, so it works before them.
///
/// The router stays the reference for everything else, so that behaviour is written once:
/// - a request that arrives while an earlier one on the connection is still with the
///   router goes to the router too, so answers keep the order of requests;
/// - a `/v1/check` whose body is not a check it can answer (not JSON, a bad hash…) is
///   handed to the router with its body, which makes the error answer;
/// - the rate limit, the tokens, metrics and logs are `RequestPolicy`'s, which the router
///   applies too (`RequestPolicyMiddleware`); each request is charged once, by whichever
///   layer answers it.
///
/// Hummingbird's documented extension points (`HTTP1Channel.Configuration`'s
/// `additionalChannelHandlers`, router middleware) do not suffice: additional handlers sit
/// after the conversion to HTTP types (the cost this handler avoids), and middleware
/// runs in the router's task per connection. So `HotRouteChannel` lets `HTTP1Channel` set up
/// the connection, then puts this handler between NIO's HTTP/1 codec and the conversion.
///
/// The connection's state and its transitions are `HotRouteConnectionState`'s; this handler
/// feeds it events and does what it returns:
/// - backpressure: with `maximumQueuedAnswers` of its answers not yet sent (a client that
///   pipelines and does not read), it holds the requests already decoded and stops reading
///   the socket; as answers leave, it takes up the held requests, then reads again;
/// - idle: a connection is closed once nothing arrives and nothing is sent for the idle
///   timeout, unless the router is answering a request it has read whole; a request whose
///   head or body stalls, on any route, or answers the client does not take, count as idle;
/// - request deadline: a body still arriving `requestTimeout` after its head is cut off,
///   however steadily it trickles (each part would otherwise restart the idle timer);
/// - shutdown and half-close: a graceful-shutdown request, or the client's end of input, waits
///   until the answer being read or sent is out (Hummingbird closes the connection on either);
///   Hummingbird's shutting of the output waits until every answer written has left;
/// - `Expect: 100-continue`: answered `100 Continue` once the request is next to be answered;
///   a check the policy refuses on its head (a declared body over the limit, a token
///   refused) is answered with the refusal instead, and the connection closed once it is sent;
/// - a decoder error behind held requests or unsent answers waits until those answers are
///   sent: Hummingbird answers it with 400 and closes, which would drop them.
final class HotRouteHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the routes answer from: one per server, shared by its connections.
    struct Routes: Sendable {
        let indexes: ServedIndexes
        let rangeCache: RangeCache
        let check: CheckRoutes
        /// Rate limit, tokens, metrics and logs: the router's too.
        let policy: RequestPolicy
        /// How long a connection may sit with nothing received and nothing sent.
        let idleTimeout: TimeAmount?
        /// How long a request's body may take to arrive once its head has, however steadily
        /// it trickles (the head itself is bounded by the idle timeout: it is one part).
        var requestTimeout: TimeAmount? = nil
    }

    enum Route {
        case range
        case check

        /// The route's name in metrics and logs, as the router names it.
        var template: String {
            switch self {
            case .range: "/range/{prefix}"
            case .check: "/v1/check"
            }
        }
    }

    /// Answers written and not yet sent past which the connection stops being read: enough to
    /// keep a pipelining client's link busy, few enough that one that does not read costs
    /// little (at most this many answers, ≤ 100 KB each).
    static let maximumQueuedAnswers = 4

    private let routes: Routes
    private var state: HotRouteConnectionState
    private var idleCheck: Scheduled<Void>?
    /// An error held behind request parts decoded before it (`HotRouteConnectionState.errorCaught`).
    private var heldError: (any Error)?
    /// The promise of the output's close while it is held (`HotRouteConnectionState.requestOutputClose`).
    private var heldOutputClose: EventLoopPromise<Void>?

    /// The context of NIO's HTTP/1 response encoder: answers written from it go out as bytes,
    /// past the encoder. Let go when this handler is removed, so no cycle outlives the channel.
    private var responseEncoder: ChannelHandlerContext?

    init(routes: Routes, responseEncoder: ChannelHandlerContext) {
        self.routes = routes
        self.responseEncoder = responseEncoder
        self.state = HotRouteConnectionState(
            idleTimeout: routes.idleTimeout, requestTimeout: routes.requestTimeout,
            maximumQueuedAnswers: Self.maximumQueuedAnswers)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let deadline = state.started(now: context.eventLoop.now) {
            scheduleIdleCheck(at: deadline, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        responseEncoder = nil
        heldOutputClose?.fail(ChannelError.ioOnClosedChannel)
        heldOutputClose = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state.received(part, now: context.eventLoop.now) {
        case .process: process(part, context: context)
        case .hold, .drop: break
        }
    }

    func read(context: ChannelHandlerContext) {
        if state.readRequested() { context.read() }
    }

    /// Takes up held request parts as answers leave, then reads again once none is left.
    private func resume(context: ChannelHandlerContext) {
        guard state.startResuming() else { return }
        while true {
            switch state.nextResumeStep() {
            case .process(let part): process(part, context: context)
            case .readComplete: channelReadComplete(context: context)
            case .error(let events):
                if let error = heldError { context.fireErrorCaught(error) }
                heldError = nil
                fire(events, context: context)
            case .read: return context.read()
            case .done: return
            }
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        let action: HotRouteConnectionState.RequestAction
        switch part {
        case .head(let head):
            action = state.head(
                head, route: route(of: head), started: DispatchTime.now().uptimeNanoseconds,
                bodyLimit: CheckRoutes.bodyLimit)
        case .body(let body): action = state.body(body, bodyLimit: CheckRoutes.bodyLimit)
        case .end(let trailers): action = state.end(trailers)
        }
        switch action {
        case .keep, .wait: break
        case .judge(let route, let head, let declaredTooLarge, let started):
            // A check refused on its head (a declared body over the limit, a token refused)
            // is answered now, so that its client neither uploads a body that is refused nor
            // waits for a `100 Continue` that never comes; the refusals in the router's order.
            guard route == .check else { return writeContinue(context: context) }
            let tokenRefused = refusesToken(head)
            guard declaredTooLarge || tokenRefused else { return writeContinue(context: context) }
            let sent = charge(route, head, context: context) ?? (tokenRefused ? Answer.unauthorized : .checkTooLarge)
            state.refused()
            respond(sent, route: route, to: head, closing: true, started: started, context: context)
        case .forward(let parts, let sendContinue):
            if sendContinue { writeContinue(context: context) }
            forward(parts, context: context)
        case .answer(let route, let head, let body, let trailers, let started):
            // The policy's refusals before any work, in the router's order (rate limit, then
            // token): a refused request makes no answer and touches no cache. A check whose
            // token is refused is not even decoded (decoding it, looking it up and encoding the
            // answer were a quarter of a 401's CPU, docs/benchmarks.md); one whose token is
            // accepted is decoded before it is charged, since one the router must answer (a
            // bad hash) is charged there.
            let sent: Answer
            if route == .check, refusesToken(head) {
                sent = charge(route, head, context: context) ?? Answer.unauthorized
            } else if let request = request(route, head, body) {
                sent = charge(route, head, context: context) ?? answer(to: request)
            } else {
                forward(state.handOver([.head(head), .body(body), .end(trailers)]), context: context)
                return
            }
            respond(sent, route: route, to: head, closing: !head.isKeepAlive, started: started, context: context)
        }
    }

    /// Whether the request lacks the token `/v1` requires.
    private func refusesToken(_ head: HTTPRequestHead) -> Bool {
        routes.policy.refusesToken(head.headers.joined("Authorization"))
    }

    /// Charges the request to its client's rate limit; the 429 if it is over, which comes
    /// before any other refusal, as on the router.
    private func charge(_ route: Route, _ head: HTTPRequestHead, context: ChannelHandlerContext) -> Answer? {
        routes.policy.charge(
            path: route.template,
            client: routes.policy.client(
                peer: context.channel.remoteAddress, forwardedFor: head.headers["X-Forwarded-For"])
        ).map(Answer.rateLimited)
    }

    /// Writes the answer to a hot request and records it.
    private func respond(
        _ answer: Answer, route: Route, to head: HTTPRequestHead, closing: Bool, started: UInt64,
        context: ChannelHandlerContext
    ) {
        write(answer, for: head, closing: closing, context: context)
        routes.policy.record(
            route: route.template, method: HTTPRequest.Method(head.method.rawValue) ?? .get, status: answer.status,
            since: started)
    }

    /// Passes parts on to the router, then the events held for a hot request no longer read.
    private func forward(_ parts: [HTTPServerRequestPart], context: ChannelHandlerContext) {
        for part in parts { context.fireChannelRead(wrapInboundOut(part)) }
        fire(state.releasedEvents(), context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state.readComplete() { context.flush() }
        context.fireChannelReadComplete()
    }

    /// The router's answers, on their way to NIO's encoder.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if let request = state.routerAnswerHead(status: head.status, now: context.eventLoop.now) {
                // HTTP types carry no version or connection: the router answers as the hot path would.
                head.version = request.version
                if !request.keepAlive, request.version != .http1_0 {
                    head.headers.replaceOrAdd(name: "Connection", value: "close")
                } else if request.keepAlive, request.version == .http1_0 {
                    head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
                }
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .body where state.dropsRouterBody:
            // An answer to HEAD announces the GET answer's length and sends no body (RFC 9110 §9.3.2).
            promise?.succeed()
            return
        case .body:
            state.routerAnswerBodyWritten(now: context.eventLoop.now)
        case .end:
            let owesContinue = state.routerAnswerEnded(now: context.eventLoop.now)
            // Sent, the answer may let a held close of the output go.
            let sent = promise ?? context.eventLoop.makePromise(of: Void.self)
            context.write(data, promise: sent)
            sent.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                self.state.routerAnswerSent()
                self.closeOutputIfReleased(context: context)
            }
            // The next request's client may be waiting for `100 Continue` to send its body.
            if owesContinue { writeContinue(context: context) }
            // Or a request held until the router's answers were out is taken up.
            resume(context: context)
            return
        }
        context.write(data, promise: promise)
    }

    /// Hummingbird's shutting of the output waits until every answer written has left
    /// (`HotRouteConnectionState.requestOutputClose` says why).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output, !state.requestOutputClose() else {
            return context.close(mode: mode, promise: promise)
        }
        guard let promise else { return }
        if let held = heldOutputClose {
            held.futureResult.cascade(to: promise)
        } else {
            heldOutputClose = promise
        }
    }

    /// Shuts the output if its close was held and every answer written has left.
    private func closeOutputIfReleased(context: ChannelHandlerContext) {
        guard state.releaseHeldOutputClose() else { return }
        let promise = heldOutputClose
        heldOutputClose = nil
        context.close(mode: .output, promise: promise)
    }

    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        idleCheck = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            switch self.state.idleCheck(now: context.eventLoop.now) {
            case .close: context.close(promise: nil)
            case .check(let next): self.scheduleIdleCheck(at: next, context: context)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Hummingbird closes the connection on either: an answer of this handler still being
        // read or sent first finishes.
        if event is ChannelShouldQuiesceEvent {
            fire(state.hold(.shouldQuiesce), context: context)
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            fire(state.hold(.inputClosed), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state.errorCaught() {
        case .fire(let events):
            context.fireErrorCaught(error)
            fire(events, context: context)
        case .hold:
            heldError = error
        }
    }

    private func fire(_ events: [HotRouteConnectionState.HeldEvent], context: ChannelHandlerContext) {
        for event in events {
            switch event {
            case .shouldQuiesce: context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            case .inputClosed: context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
    }

    /// `100 Continue`, written as bytes below the encoder like the hot answers; flushed with
    /// the read or the router's answer it comes with.
    private func writeContinue(context: ChannelHandlerContext) {
        responseEncoder?.write(NIOAny(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        state.continueWritten()
    }

    /// Which hot route a request head is for, if any and if its client may be answered here.
    private func route(of head: HTTPRequestHead) -> Route? {
        let route: Route
        switch head.method {
        // HEAD is no hot route: the router answers it.
        case .GET:
            guard head.uri.hasPrefix("/range/") else { return nil }
            route = .range
        case .POST:
            guard head.uri == "/v1/check", JSONBody.isJSON(contentType: head.headers.joined("Content-Type")) else {
                return nil
            }
            route = .check
        default:
            return nil
        }
        return route
    }

    /// A hot-route request as read, before the policy is applied: nothing made yet but what
    /// tells whether the router should answer it instead.
    private enum HotRequest {
        case range(RangeRoute.Query)
        /// A check whose token is accepted is looked up when read (a lookup costs less than the
        /// policy), so that one the router must answer (a bad hash) is charged there, once.
        case check(Answer)
    }

    /// The request read, or `nil` when the router should answer it.
    private func request(_ route: Route, _ head: HTTPRequestHead, _ body: ByteBuffer) -> HotRequest? {
        switch route {
        case .range:
            let uri = head.uri
            let queryStart = uri.utf8.firstIndex(of: UInt8(ascii: "?")) ?? uri.endIndex
            let prefix = uri[uri.utf8.index(uri.startIndex, offsetBy: "/range/".utf8.count)..<queryStart]
            // `/range/5BAA6/…` is not a range: the router answers it (404).
            guard !prefix.utf8.contains(UInt8(ascii: "/")) else { return nil }
            // Most range requests have no query: parse one only when there is one.
            let mode = queryStart == uri.endIndex ? nil : URI(uri).queryParameters.get("mode")
            return .range(
                RangeRoute.Query(
                    prefix: prefix, mode: mode, addPadding: head.headers.joined("Add-Padding"),
                    acceptEncoding: head.headers.joined("Accept-Encoding"),
                    ifNoneMatch: head.headers.joined("If-None-Match"),
                    wantReprDigest: head.headers.joined("Want-Repr-Digest")))
        case .check:
            guard let request: CheckRoutes.CheckRequest = try? JSONBody.decode(body),
                let response = try? routes.check.answer(request)
            else { return nil }
            let encoded = response.json
            return .check(
                Answer(
                    status: .ok,
                    headers: [.contentType: "application/json", .contentLength: String(encoded.readableBytes)],
                    body: encoded))
        }
    }

    /// The answer to a request the policy let through.
    private func answer(to request: HotRequest) -> Answer {
        switch request {
        case .range(let query): RangeRoute.answer(query, indexes: routes.indexes, cache: routes.rangeCache)
        case .check(let answer): answer
        }
    }

    /// Writes `answer` as bytes below NIO's HTTP/1 encoder: its head is encoded once with
    /// the answer, and encoding it again per request cost about a tenth of the daemon's time
    /// on `/range` in `perf` profiles (docs/benchmarks.md).
    private func write(
        _ answer: Answer, for request: HTTPRequestHead, closing: Bool, context: ChannelHandlerContext
    ) {
        guard let output = responseEncoder else { return }
        let isHTTP1_0 = request.version == .http1_0
        var head = context.channel.allocator.buffer(capacity: answer.encodedHead.readableBytes + 64)
        head.writeStaticString(isHTTP1_0 ? "HTTP/1.0" : "HTTP/1.1")
        head.writeImmutableBuffer(answer.encodedHead)
        head.writeStaticString("Date: ")
        head.writeString(HTTPDate.now)
        head.writeStaticString("\r\n")
        if closing, !isHTTP1_0 {
            head.writeStaticString("Connection: close\r\n")
        } else if !closing, isHTTP1_0 {
            head.writeStaticString("Connection: keep-alive\r\n")
        }
        head.writeStaticString("\r\n")
        let sent = context.eventLoop.makePromise(of: Void.self)
        if answer.bodyByteCount > 0 {
            output.write(NIOAny(head), promise: nil)
            for part in answer.bodyParts.dropLast() { output.write(NIOAny(part), promise: nil) }
            output.write(NIOAny(answer.bodyParts.last!), promise: sent)
        } else {
            output.write(NIOAny(head), promise: sent)
        }
        let flushNow = state.answerWritten(closing: closing, now: context.eventLoop.now)
        sent.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            switch self.state.answerSent(closing: closing, now: context.eventLoop.now) {
            case .close: context.close(promise: nil)
            case .resume(let events):
                self.fire(events, context: context)
                self.resume(context: context)
                self.closeOutputIfReleased(context: context)
            }
        }
        if flushNow { context.flush() }
    }
}

extension HTTPHeaders {
    /// A field's lines joined with commas, as HTTP types' `HTTPFields` subscript joins them
    /// for the router (RFC 9110 §5.3), so that both paths read a repeated field alike.
    func joined(_ name: String) -> String? {
        let values = self[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
