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
/// runs in the router's task per connection. So `HotRouteChannel` sets up the connection as
/// `HTTP1Channel` does, with this handler between NIO's HTTP/1 codec and the conversion.
///
/// Per connection, the handler is in one of three states (`State`): `idle` between requests,
/// `reading` a hot-route request whose body is still arriving, `forwarding` a router request.
/// Besides, it counts the router's requests not yet answered and its own answers not yet sent:
/// - backpressure: with `maximumQueuedAnswers` of its answers not yet sent (a client that
///   pipelines and does not read), it holds the requests already decoded and stops reading
///   the socket; as answers leave, it takes up the held requests, then reads again;
/// - idle: a connection is closed once nothing arrives and nothing is sent for the idle
///   timeout, unless the router is answering a request it has read whole; a request whose
///   head or body stalls, on any route, or answers the client does not take, count as idle;
/// - request deadline: a body still arriving `requestTimeout` after its head is cut off,
///   however steadily it trickles (each part would otherwise restart the idle timer);
/// - shutdown: a graceful-shutdown request waits until the answer being read or sent is out.
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

    private enum Route {
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

    /// What the router's answer to a request takes from it, which HTTP types do not carry.
    private struct RouterRequest {
        /// Its answer's body is dropped here (see `HotRouteChannel.addHTTP1Handlers`).
        let isHead: Bool
        let version: HTTPVersion
        let keepAlive: Bool
    }

    private enum State {
        case idle
        /// A hot-route request whose body is still arriving.
        case reading(Route, HTTPRequestHead, body: ByteBuffer, started: UInt64)
        /// The request being read belongs to the router.
        case forwarding
    }

    /// Answers written and not yet sent past which the connection stops being read: enough to
    /// keep a pipelining client's link busy, few enough that one that does not read costs
    /// little (at most this many answers, ≤ 100 KB each).
    static let maximumQueuedAnswers = 4

    private let routes: Routes
    private var state = State.idle
    /// Request parts decoded while too many answers were queued, taken up as they leave.
    private var heldParts = CircularBuffer<HTTPServerRequestPart>()
    /// Whether a read was asked for while held: it is made once the held parts are answered.
    private var readHeld = false
    private var isResuming = false
    /// Requests handed to the router whose answers are not yet fully written.
    private var routerRequests = 0
    /// The requests handed to the router and not yet answered, oldest first: what their
    /// answers' heads and bodies take from them (see `routerTakes`).
    private var routerHeads = CircularBuffer<RouterRequest>()
    /// Whether the router's answer being written answers a HEAD.
    private var droppingBody = false
    /// Answers written here whose bytes have not yet left.
    private var unsentAnswers = 0
    /// A graceful-shutdown request held until this handler's answer is out.
    private var heldQuiesce: ChannelShouldQuiesceEvent?
    private var needsFlush = false
    /// When the last request part arrived or the last answer was written or sent.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    /// When the head of the request whose body is being read arrived.
    private var requestStarted: NIODeadline?
    private var idleCheck: Scheduled<Void>?

    /// The context of NIO's HTTP/1 response encoder: answers written from it go out as bytes,
    /// past the encoder. Let go when this handler is removed, so no cycle outlives the channel.
    private var responseEncoder: ChannelHandlerContext?

    init(routes: Routes, responseEncoder: ChannelHandlerContext) {
        self.routes = routes
        self.responseEncoder = responseEncoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        if let timeout = routes.idleTimeout ?? routes.requestTimeout {
            scheduleIdleCheck(at: lastActivity + timeout, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        responseEncoder = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = context.eventLoop.now
        let part = unwrapInboundIn(data)
        switch part {
        case .head: requestStarted = lastActivity
        case .body: break
        case .end: requestStarted = nil
        }
        if isBackedUp || !heldParts.isEmpty {
            heldParts.append(part)
        } else {
            process(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if isBackedUp || !heldParts.isEmpty {
            readHeld = true
        } else {
            context.read()
        }
    }

    private var isBackedUp: Bool { unsentAnswers >= Self.maximumQueuedAnswers }

    /// Takes up held request parts as answers leave, then reads again once none is left.
    private func resume(context: ChannelHandlerContext) {
        // Answers sent during the flush below call back here: the loop already under way takes them up.
        guard heldParts.count > 0 || readHeld, !isResuming else { return }
        isResuming = true
        defer { isResuming = false }
        while !isBackedUp, !heldParts.isEmpty {
            while !isBackedUp, let part = heldParts.popFirst() { process(part, context: context) }
            // As at the end of a read: answers are flushed, and the router takes what it was given.
            channelReadComplete(context: context)
        }
        if readHeld, heldParts.isEmpty, !isBackedUp {
            readHeld = false
            context.read()
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        let data = wrapInboundOut(part)
        switch (part, state) {
        case (.head(let head), .idle):
            if routerRequests == 0, let route = route(of: head) {
                state = .reading(route, head, body: ByteBuffer(), started: DispatchTime.now().uptimeNanoseconds)
            } else {
                handOver([.head(head)], context: context)
            }
        case (.body(let part), .reading(let route, let head, var body, let started)):
            guard body.readableBytes + part.readableBytes <= CheckRoutes.bodyLimit else {
                // Too large to be ours: the router answers 413.
                handOver([.head(head), .body(body), .body(part)], context: context)
                return
            }
            state = .idle  // drops the reference to `body`, so the write below does not copy
            body.writeImmutableBuffer(part)
            state = .reading(route, head, body: body, started: started)
        case (.end(let trailers), .reading(let route, let head, let body, let started)):
            state = .idle
            guard let request = request(route, head, body) else {
                handOver([.head(head), .body(body), .end(trailers)], context: context)
                return
            }
            // The policy's refusals in the router's order, before any work: the rate limit,
            // then `/v1`'s tokens. A refused request makes no answer and touches no cache.
            let refusal =
                routes.policy.charge(
                    path: route.template,
                    client: routes.policy.client(
                        peer: context.channel.remoteAddress,
                        forwardedFor: head.headers["X-Forwarded-For"]))
                ?? (route == .check ? routes.policy.authorize(head.headers.joined("Authorization")) : nil)
            let sent = refusal.map(Answer.init(refusal:)) ?? answer(to: request)
            write(sent, for: head, context: context)
            routes.policy.record(
                route: route.template, method: HTTPRequest.Method(head.method.rawValue) ?? .get, status: sent.status,
                since: started)
        case (let part, _):
            // The router's request, or parts the HTTP decoder would never send in this order.
            if case .end = part { state = .idle } else { state = .forwarding }
            if case .head(let head) = part {
                context.fireChannelRead(wrapInboundOut(.head(routerTakes(head))))
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// The router's answers, on their way to NIO's encoder.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            // A 1xx other than 101 is followed by the final answer's head.
            if head.status.code >= 200 || head.status == .switchingProtocols, let request = routerHeads.popFirst() {
                droppingBody = request.isHead
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
        case .body where droppingBody:
            // An answer to HEAD announces the GET answer's length and sends no body (RFC 9110 §9.3.2).
            promise?.succeed()
            return
        case .body:
            break
        case .end:
            routerRequests -= 1
            lastActivity = context.eventLoop.now
        }
        context.write(data, promise: promise)
    }

    /// The idle timeout lives here, not in Hummingbird's connection handler, because that
    /// one sees only the router's requests: it would close a connection busy with hot ones.
    /// A request whose head or body stalls counts as idle, on either path, so a client
    /// trickling bytes cannot hold a connection longer than the timeout between them; so do
    /// answers the client does not take. Only the router's work on a request it has read
    /// whole (an account route may wait on its database) keeps a quiet connection open.
    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        idleCheck = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            let now = context.eventLoop.now
            // A request still arriving past its deadline is cut off, however busy.
            let requestDeadline = self.requestStarted.flatMap { started in
                self.routes.requestTimeout.map { started + $0 }
            }
            if let requestDeadline, requestDeadline <= now {
                context.close(promise: nil)
                return
            }
            var next = requestDeadline ?? .distantFuture
            if let timeout = self.routes.idleTimeout {
                let idleUntil = self.lastActivity + timeout
                if !self.isRouterAnswering, idleUntil <= now {
                    context.close(promise: nil)
                    return
                }
                next = min(next, self.isRouterAnswering ? now + timeout : idleUntil)
            } else if requestDeadline == nil, let timeout = self.routes.requestTimeout {
                next = now + timeout
            }
            self.scheduleIdleCheck(at: next, context: context)
        }
    }

    /// Whether the router holds a request read whole that it has not yet answered.
    private var isRouterAnswering: Bool {
        if case .forwarding = state { return routerRequests > 1 }
        return routerRequests > 0
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Graceful shutdown closes an idle connection at once; an answer of this handler
        // still being read or sent first finishes.
        if let quiesce = event as? ChannelShouldQuiesceEvent, isAnswering {
            heldQuiesce = quiesce
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private var isAnswering: Bool {
        if case .reading = state { return true }
        return unsentAnswers > 0
    }

    /// Passes a request this handler does not answer on to the router.
    private func handOver(_ parts: [HTTPServerRequestPart], context: ChannelHandlerContext) {
        state = .forwarding
        for part in parts {
            if case .body(let body) = part, body.readableBytes == 0 { continue }
            if case .end = part { state = .idle }
            if case .head(let head) = part {
                context.fireChannelRead(wrapInboundOut(.head(routerTakes(head))))
            } else {
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
        releaseQuiesce(context: context)
    }

    /// Counts a request the router answers and notes what its answer takes from it; returns
    /// the head to pass on. Hummingbird closes only on a `Connection` field that is exactly
    /// `close`: a request that does not keep the connection alive by NIO's reading (tokens
    /// in any case, HTTP/1.0 without `keep-alive`), which the hot path honours, says so in
    /// those words.
    private func routerTakes(_ head: HTTPRequestHead) -> HTTPRequestHead {
        routerRequests += 1
        let keepAlive = head.isKeepAlive
        routerHeads.append(RouterRequest(isHead: head.method == .HEAD, version: head.version, keepAlive: keepAlive))
        guard !keepAlive else { return head }
        var head = head
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        return head
    }

    private func releaseQuiesce(context: ChannelHandlerContext) {
        guard let quiesce = heldQuiesce, !isAnswering else { return }
        heldQuiesce = nil
        context.fireUserInboundEventTriggered(quiesce)
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
        /// A check is looked up when read (a lookup costs less than the policy), so that one
        /// the router must answer (a bad hash) is charged there, once.
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
                    ifNoneMatch: head.headers.joined("If-None-Match")))
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
    private func write(_ answer: Answer, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let output = responseEncoder else { return }
        let closing = !request.isKeepAlive
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
        if answer.body.readableBytes > 0 {
            output.write(NIOAny(head), promise: nil)
            output.write(NIOAny(answer.body), promise: sent)
        } else {
            output.write(NIOAny(head), promise: sent)
        }
        unsentAnswers += 1
        lastActivity = context.eventLoop.now
        needsFlush = true
        sent.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.unsentAnswers -= 1
            self.lastActivity = context.eventLoop.now
            if closing {
                context.close(promise: nil)
            } else {
                self.releaseQuiesce(context: context)
                self.resume(context: context)
            }
        }
        if closing {
            needsFlush = false
            context.flush()
        }
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
