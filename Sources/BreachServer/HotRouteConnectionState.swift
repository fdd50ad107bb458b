import NIOCore
import NIOHTTP1

/// One connection of `HotRouteHandler` as a value: each event the handler sees (a request
/// part, an answer written or sent, a read asked for, the idle timer, a shutdown request, the
/// client's half-close, an error) goes in, and what the handler must do comes out as an
/// action, in the style of swift-nio's own state machines (`NIOAsyncWriter`,
/// `HTTPServerPipelineHandler`). No channel and no clock: the handler passes in the time, so
/// every transition is tested without a channel (HotRouteConnectionStateTests).
///
/// What is read (`Reading`): nothing between requests, a hot-route request whose body is still
/// arriving, or a router request. Besides, the requests handed to the router whose answers are
/// not yet written, the hot answers written and not yet sent, and the request parts held while
/// too many of those are queued.
struct HotRouteConnectionState {
    enum Reading {
        case idle
        /// A hot-route request whose body is still arriving (`started`: for its metrics).
        case hot(HotRouteHandler.Route, HTTPRequestHead, body: ByteBuffer, started: UInt64)
        /// The request being read belongs to the router.
        case forwarding
    }

    /// What the router's answer to a request takes from it, which HTTP types do not carry.
    struct RouterRequest: Equatable {
        /// Its answer's body is dropped (see `HotRouteChannel.putHotRoutes`).
        let isHead: Bool
        let version: HTTPVersion
        let keepAlive: Bool
        /// Its client waits for `100 Continue`, which is owed once the earlier answers are out.
        var owesContinue: Bool
    }

    /// Events held back from the rest of the pipeline while an answer of the handler is being
    /// read or sent: Hummingbird would close the connection under it.
    enum HeldEvent: Equatable {
        /// Graceful shutdown (`ChannelShouldQuiesceEvent`).
        case shouldQuiesce
        /// The client shut its write side (`ChannelEvent.inputClosed`).
        case inputClosed
    }

    /// Answers written and not yet sent past which the connection stops being read.
    let maximumQueuedAnswers: Int
    let idleTimeout: TimeAmount?
    let requestTimeout: TimeAmount?

    private(set) var reading = Reading.idle
    /// Requests handed to the router whose answer's head is not yet written, oldest first.
    private var routerRequests = CircularBuffer<RouterRequest>()
    /// The request whose answer the router is writing (its head is out, its end is not).
    /// `nil` also for an answer to no request: Hummingbird's 400 to bytes that are no request.
    private var routerAnswering: RouterRequest?
    /// Request parts decoded while too many answers were queued, or behind a hot request
    /// judged on its head that waits for the router's answers (`waitsForRouter`), taken up
    /// once those are out.
    private var heldParts = CircularBuffer<HTTPServerRequestPart>()
    /// Whether the held parts wait for the router to answer every request it was given.
    private var waitsForRouter = false
    /// Whether a read was asked for while held: it is made once the held parts are answered.
    private var readHeld = false
    private var isResuming = false
    /// Whether the decoder failed behind held parts or unsent answers: the error is passed on
    /// once those are out (Hummingbird answers it and closes, which would drop them).
    private var errorHeld = false
    /// Whether held parts were taken up since the last read-complete of a resumption.
    private var resumedParts = false
    /// Answers written here whose bytes have not yet left.
    private(set) var unsentAnswers = 0
    /// The router's answers whose end is written and whose bytes have not yet left.
    private var unsentRouterAnswers = 0
    /// Whether the output is to be shut once every answer written has left.
    private var isOutputCloseHeld = false
    private var heldEvents: [HeldEvent] = []
    /// Whether graceful shutdown was asked for: no request is read past the one under way.
    private var isQuiescing = false
    /// Whether the connection closes once the refusal made on a head alone is sent: no
    /// request part is taken up past it. (After a request that does not keep the connection
    /// alive, NIO's decoder itself takes nothing more: RFC 9112 §9.6.)
    private(set) var isClosing = false
    private var needsFlush = false
    /// When the last request part arrived or the last answer was written or sent.
    private var lastActivity: NIODeadline
    /// When the head of the request whose body is being read arrived.
    private var requestStarted: NIODeadline?

    init(idleTimeout: TimeAmount?, requestTimeout: TimeAmount?, maximumQueuedAnswers: Int) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maximumQueuedAnswers = maximumQueuedAnswers
        self.lastActivity = .uptimeNanoseconds(0)
    }

    /// Requests the router holds or is answering: heads handed over, answers not yet ended.
    var routerRequestCount: Int { routerRequests.count + (routerAnswering == nil ? 0 : 1) }

    private var isBackedUp: Bool { unsentAnswers >= maximumQueuedAnswers }

    /// Whether request parts are held rather than taken up now.
    private var isHolding: Bool { isBackedUp || waitsForRouter }

    /// Whether an answer of the handler is being read or sent, or requests already read wait
    /// to be answered (answers sent during a resumption would otherwise let events pass
    /// before the held requests are taken up).
    private var isAnswering: Bool {
        if case .hot = reading { return true }
        return unsentAnswers > 0 || !heldParts.isEmpty || errorHeld
    }

    /// Whether the router holds a request read whole that it has not yet begun to answer:
    /// only that keeps a quiet connection open (an account route may wait on its database).
    /// An answer whose head is written is the client's to take, and counts as idle when it
    /// stalls, like a hot answer unsent.
    private var isRouterAnswering: Bool {
        guard routerAnswering == nil else { return false }
        if case .forwarding = reading { return routerRequestCount > 1 }
        return routerRequestCount > 0
    }

    // MARK: Reading

    /// The handler joins the connection; returns when the first idle check is due, if any.
    mutating func started(now: NIODeadline) -> NIODeadline? {
        lastActivity = now
        return (idleTimeout ?? requestTimeout).map { now + $0 }
    }

    enum ReceiveAction: Equatable {
        /// Process the part now (`head(_:route:started:)`, `body(_:)`, `end(_:)`).
        case process
        /// Too many answers are queued, or the router's must go first: the part waits.
        case hold
        /// The connection closes once its answers are out: the part is not taken up.
        case drop
    }

    /// A request part arrives from the decoder.
    mutating func received(_ part: HTTPServerRequestPart, now: NIODeadline) -> ReceiveAction {
        guard !isClosing else { return .drop }
        lastActivity = now
        switch part {
        case .head: requestStarted = now
        case .body: break
        case .end: requestStarted = nil
        }
        guard isHolding || !heldParts.isEmpty else { return .process }
        heldParts.append(part)
        return .hold
    }

    /// Whether shutting down, with no request part-read (being read or held), leaves nothing
    /// to read: a client that keeps pipelining would otherwise always have an answer unsent,
    /// and the held shutdown would never pass.
    private var readsNoMore: Bool {
        guard isQuiescing, case .idle = reading else { return false }
        guard let last = heldParts.last else { return true }
        if case .end = last { return true }
        return false
    }

    /// Whether the handler passes a read on to the socket; held while answers are queued,
    /// dropped when shutting down between requests.
    mutating func readRequested() -> Bool {
        guard !readsNoMore else { return false }
        guard isHolding || !heldParts.isEmpty else { return true }
        readHeld = true
        return false
    }

    enum RequestAction {
        /// The part is kept: a hot request's head or body.
        case keep
        /// The head is kept, and its client waits for `100 Continue` before sending the body:
        /// apply the policy to the head now (`declaredTooLarge`: its `Content-Length` is over
        /// the limit), then answer the refusal, if any (`refused()`), or send `100 Continue`.
        case judge(HotRouteHandler.Route, HTTPRequestHead, declaredTooLarge: Bool, started: UInt64)
        /// The head waits, held, for the router's answers to the requests before it.
        case wait
        /// Pass these parts on to the router (heads as it should take them); write
        /// `100 Continue` first if told.
        case forward([HTTPServerRequestPart], sendContinue: Bool)
        /// A hot request is whole: answer it, or hand it to the router (`handOver`).
        case answer(HotRouteHandler.Route, HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders?, started: UInt64)
    }

    /// A request head; `route` tells whether it is a hot route's (evaluated only when it can
    /// be answered here: with a router request still unanswered it goes to the router, so
    /// that answers keep the order of requests); `bodyLimit` is the most a hot request may carry.
    ///
    /// A hot request whose client waits for `100 Continue` is judged on its head (RFC 9110
    /// §10.1.1: a refusal instead of `100`), even behind router requests: it then waits for
    /// their answers, held, so that its own answer keeps its place.
    mutating func head(
        _ head: HTTPRequestHead, route: @autoclosure () -> HotRouteHandler.Route?, started: @autoclosure () -> UInt64,
        bodyLimit: Int
    ) -> RequestAction {
        let expectsContinue = head.expectsContinue
        guard case .idle = reading, routerRequestCount == 0 || expectsContinue, let route = route() else {
            reading = .forwarding
            let forwarded = routerTakes(head, owesContinue: expectsContinue)
            return .forward([.head(forwarded)], sendContinue: sendsContinueNow())
        }
        guard routerRequestCount == 0 else {
            heldParts.prepend(.head(head))
            waitsForRouter = true
            return .wait
        }
        let declaredTooLarge =
            head.headers.first(name: "Content-Length").flatMap(Int.init).map { $0 > bodyLimit } ?? false
        if declaredTooLarge, !expectsContinue {
            // Too large to be a hot request, its body on the way: the router reads it and answers 413.
            reading = .forwarding
            return .forward([.head(routerTakes(head, owesContinue: false))], sendContinue: false)
        }
        let started = started()
        reading = .hot(route, head, body: ByteBuffer(), started: started)
        guard expectsContinue else { return .keep }
        return .judge(route, head, declaredTooLarge: declaredTooLarge, started: started)
    }

    /// The request judged on its head is refused: its answer closes the connection, and
    /// nothing more is taken up, the body its client may send after all included (RFC 9110
    /// §10.1.1 lets a server that refuses a request on its head close instead of reading it).
    mutating func refused() {
        reading = .idle
        requestStarted = nil
        isClosing = true
        heldParts.removeAll()
    }

    /// A part of a request's body; `bodyLimit` is the most a hot request may carry.
    mutating func body(_ part: ByteBuffer, bodyLimit: Int) -> RequestAction {
        guard case .hot(let route, let head, var body, let started) = reading else {
            reading = .forwarding
            return .forward([.body(part)], sendContinue: false)
        }
        guard body.readableBytes + part.readableBytes <= bodyLimit else {
            // Too large to be a hot request: the router answers 413.
            return .forward(handOver([.head(head), .body(body), .body(part)]), sendContinue: false)
        }
        reading = .idle  // drops the reference to `body`, so the write below does not copy
        body.writeImmutableBuffer(part)
        reading = .hot(route, head, body: body, started: started)
        return .keep
    }

    /// The end of a request.
    mutating func end(_ trailers: HTTPHeaders?) -> RequestAction {
        guard case .hot(let route, let head, let body, let started) = reading else {
            reading = .idle
            return .forward([.end(trailers)], sendContinue: false)
        }
        reading = .idle
        return .answer(route, head, body: body, trailers: trailers, started: started)
    }

    /// Parts of a request read whole as a hot one that the router answers after all (its
    /// body is not a check the hot path answers); what to pass on, heads as the router takes them.
    mutating func handOver(_ parts: [HTTPServerRequestPart]) -> [HTTPServerRequestPart] {
        reading = .forwarding
        var forwarded: [HTTPServerRequestPart] = []
        for part in parts {
            switch part {
            // Its `100 Continue`, if expected, was sent when the hot path kept the head.
            case .head(let head): forwarded.append(.head(routerTakes(head, owesContinue: false)))
            case .body(let body) where body.readableBytes == 0: continue
            case .body: forwarded.append(part)
            case .end:
                reading = .idle
                forwarded.append(part)
            }
        }
        return forwarded
    }

    /// Counts a request the router answers and notes what its answer takes from it; returns
    /// the head to pass on. Hummingbird closes only on a `Connection` field that is exactly
    /// `close`: a request that does not keep the connection alive by NIO's reading (tokens
    /// in any case, HTTP/1.0 without `keep-alive`), which the hot path honours, says so in
    /// those words.
    private mutating func routerTakes(_ head: HTTPRequestHead, owesContinue: Bool) -> HTTPRequestHead {
        let keepAlive = head.isKeepAlive
        routerRequests.append(
            RouterRequest(
                isHead: head.method == .HEAD, version: head.version, keepAlive: keepAlive, owesContinue: owesContinue))
        guard !keepAlive else { return head }
        var head = head
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        return head
    }

    /// Whether the router request just handed over is the only one the router holds and
    /// expects `100 Continue`: it is sent now. Otherwise it is owed until the answers
    /// before it are out (`routerAnswerEnded`).
    private mutating func sendsContinueNow() -> Bool {
        guard routerRequestCount == 1, routerRequests.first?.owesContinue == true else { return false }
        routerRequests[routerRequests.startIndex].owesContinue = false
        return true
    }

    enum ErrorAction: Equatable {
        /// Pass the error on, then these events.
        case fire(release: [HeldEvent])
        /// Request parts decoded before the error are held, or answers unsent: it waits
        /// until they are out (`ResumeStep.error`), or the router's 400 and close would
        /// overtake or drop their answers.
        case hold
    }

    /// The decoder failed (bytes that are no request).
    mutating func errorCaught() -> ErrorAction {
        guard heldParts.isEmpty, unsentAnswers == 0 else {
            errorHeld = true
            return .hold
        }
        return .fire(release: failed())
    }

    /// The error is passed on: a hot request being read will not end.
    private mutating func failed() -> [HeldEvent] {
        if case .hot = reading {
            reading = .idle
            requestStarted = nil
        }
        return releasedEvents()
    }

    // MARK: Writing

    /// An answer of the handler is written; whether to flush at once (an answer that closes
    /// the connection), rather than at the end of the read.
    mutating func answerWritten(closing: Bool, now: NIODeadline) -> Bool {
        unsentAnswers += 1
        lastActivity = now
        needsFlush = !closing
        return closing
    }

    /// `100 Continue` is written: flushed at the end of the read (or with the router's answer).
    mutating func continueWritten() { needsFlush = true }

    /// The end of a read: whether to flush the answers written during it.
    mutating func readComplete() -> Bool {
        defer { needsFlush = false }
        return needsFlush
    }

    enum SentAction: Equatable {
        /// The answer asked to close the connection.
        case close
        /// Pass on the events held for it, then take up held request parts (`startResuming`).
        case resume(release: [HeldEvent])
    }

    /// An answer of the handler has left (or failed to).
    mutating func answerSent(closing: Bool, now: NIODeadline) -> SentAction {
        unsentAnswers -= 1
        lastActivity = now
        return closing ? .close : .resume(release: releasedEvents())
    }

    /// The router writes an answer's head; returns the request it answers when it is the final
    /// head (a 1xx other than 101 is followed by the final answer's head).
    mutating func routerAnswerHead(status: HTTPResponseStatus, now: NIODeadline) -> RouterRequest? {
        lastActivity = now
        guard status.code >= 200 || status == .switchingProtocols, let request = routerRequests.popFirst() else {
            return nil
        }
        routerAnswering = request
        return request
    }

    /// Whether the router's answer being written answers a HEAD: its body is dropped.
    var dropsRouterBody: Bool { routerAnswering?.isHead ?? false }

    /// The router writes a part of an answer's body.
    mutating func routerAnswerBodyWritten(now: NIODeadline) { lastActivity = now }

    /// The router's answer ends; whether the next router request is owed `100 Continue` now.
    /// Request parts waiting for the router's answers are taken up (`startResuming`) once
    /// the last one ends.
    mutating func routerAnswerEnded(now: NIODeadline) -> Bool {
        routerAnswering = nil
        unsentRouterAnswers += 1
        lastActivity = now
        if routerRequestCount == 0 { waitsForRouter = false }
        guard routerRequests.first?.owesContinue == true else { return false }
        routerRequests[routerRequests.startIndex].owesContinue = false
        return true
    }

    /// The router's answer has left (or failed to).
    mutating func routerAnswerSent() { unsentRouterAnswers -= 1 }

    /// Hummingbird asks to shut the output (once it has no request left, or after an answer
    /// that closes the connection); whether to shut it now. With answers still unsent it is
    /// held until they have left (`releaseHeldOutputClose`): when the client has shut its side
    /// already, NIO makes the output's close a full one, which drops what is not yet sent
    /// (a client that half-closed, then read, lost the router's last answers).
    mutating func requestOutputClose() -> Bool {
        guard unsentAnswers > 0 || unsentRouterAnswers > 0 else { return true }
        isOutputCloseHeld = true
        return false
    }

    /// Whether the output close held back goes now: every answer written has left.
    mutating func releaseHeldOutputClose() -> Bool {
        guard isOutputCloseHeld, unsentAnswers == 0, unsentRouterAnswers == 0 else { return false }
        isOutputCloseHeld = false
        return true
    }

    // MARK: Resuming held requests

    /// Whether to take up held parts or a held read now (not while already doing so: answers
    /// sent during the resumption call back here, and the loop under way takes them up).
    mutating func startResuming() -> Bool {
        guard !heldParts.isEmpty || readHeld || errorHeld, !isResuming else { return false }
        isResuming = true
        resumedParts = false
        return true
    }

    enum ResumeStep {
        /// Process this held part as if it had just arrived.
        case process(HTTPServerRequestPart)
        /// As at the end of a read: answers are flushed, and the router takes what it was given.
        case readComplete
        /// The held parts are all taken up and their answers sent: pass on the error held
        /// behind them, then these events.
        case error(release: [HeldEvent])
        /// All held parts are answered: make the read held meanwhile. The resumption is over.
        case read
        /// The resumption is over.
        case done
    }

    mutating func nextResumeStep() -> ResumeStep {
        if !isHolding, let part = heldParts.popFirst() {
            resumedParts = true
            return .process(part)
        }
        if resumedParts {
            resumedParts = false
            return .readComplete
        }
        if errorHeld, heldParts.isEmpty, unsentAnswers == 0 {
            errorHeld = false
            return .error(release: failed())
        }
        isResuming = false
        guard readHeld, heldParts.isEmpty, !isHolding, !readsNoMore else { return .done }
        readHeld = false
        return .read
    }

    // MARK: Events

    /// Graceful shutdown closes an idle connection at once; an answer of the handler still
    /// being read or sent first finishes. Returns the events to pass on now.
    mutating func hold(_ event: HeldEvent) -> [HeldEvent] {
        if event == .shouldQuiesce { isQuiescing = true }
        heldEvents.append(event)
        return releasedEvents()
    }

    /// The held events to pass on now that no answer of the handler is being read or sent.
    mutating func releasedEvents() -> [HeldEvent] {
        guard !isAnswering, !heldEvents.isEmpty else { return [] }
        defer { heldEvents = [] }
        return heldEvents
    }

    enum IdleAction: Equatable {
        case close
        case check(at: NIODeadline)
    }

    /// The idle timer fires. The idle timeout lives here, not in Hummingbird's connection
    /// handler, because that one sees only the router's requests: it would close a
    /// connection busy with hot ones. A request whose head or body stalls counts as idle, on
    /// either path, so a client trickling bytes cannot hold a connection longer than the
    /// timeout between them; so do answers the client does not take. A request still arriving
    /// past its deadline is cut off, however busy.
    func idleCheck(now: NIODeadline) -> IdleAction {
        let requestDeadline = requestStarted.flatMap { started in requestTimeout.map { started + $0 } }
        if let requestDeadline, requestDeadline <= now { return .close }
        var next = requestDeadline ?? .distantFuture
        if let idleTimeout {
            let idleUntil = lastActivity + idleTimeout
            if !isRouterAnswering, idleUntil <= now { return .close }
            next = min(next, isRouterAnswering ? now + idleTimeout : idleUntil)
        } else if requestDeadline == nil, let requestTimeout {
            next = now + requestTimeout
        }
        return .check(at: next)
    }
}

extension HTTPRequestHead {
    /// Whether the client waits for `100 Continue` before sending the body (RFC 9110
    /// §10.1.1); an HTTP/1.0 client's expectation is ignored, as the RFC requires.
    var expectsContinue: Bool {
        guard version.major > 1 || (version.major == 1 && version.minor >= 1) else { return false }
        return headers["Expect"].contains { line in
            line.split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "100-continue" }
        }
    }
}
