import NIOCore
import NIOHTTP1
import Testing

@testable import BreachServer

/// The hot-route connection's transitions, on the value alone: events in, actions out, no
/// channel and no clock.
@Suite struct HotRouteConnectionStateTests {
    typealias State = HotRouteConnectionState
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let idleTimeout = TimeAmount.seconds(75)
    static let bodyLimit = 10

    func state(idleTimeout: TimeAmount? = idleTimeout, requestTimeout: TimeAmount? = nil) -> State {
        var state = State(idleTimeout: idleTimeout, requestTimeout: requestTimeout, maximumQueuedAnswers: 2)
        _ = state.started(now: Self.start)
        return state
    }

    func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/range/5BAA6", version: HTTPVersion = .http1_1,
        _ headers: HTTPHeaders = [:]
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
    }

    /// Feeds a whole request without body; returns the action of its end. Its head must be
    /// kept for an answer here, or forwarded with the end.
    func request(
        _ head: HTTPRequestHead, route: HotRouteHandler.Route?, into state: inout State, at now: NIODeadline = start
    ) -> State.RequestAction {
        let arrivedHead = state.received(.head(head), now: now)
        #expect(arrivedHead == .process)
        let headAction = state.head(head, route: route, started: 0, bodyLimit: Self.bodyLimit)
        let arrivedEnd = state.received(.end(nil), now: now)
        #expect(arrivedEnd == .process)
        let endAction = state.end(nil)
        switch (headAction, endAction) {
        case (.keep, .answer), (.forward, .forward): break
        default: Issue.record("head: \(headAction), then end: \(endAction)")
        }
        return endAction
    }

    /// Starts resuming a connection whose reading is held and takes up the held head, for
    /// `route`; false, with an issue recorded, when the head is not what resuming gives first.
    func takeUpHeldHead(
        route: HotRouteHandler.Route?, in state: inout State, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        let resuming = state.startResuming()
        #expect(resuming, sourceLocation: sourceLocation)
        guard case .process(.head(let head)) = state.nextResumeStep() else {
            Issue.record("the held head was not taken up", sourceLocation: sourceLocation)
            return false
        }
        _ = state.head(head, route: route, started: 0, bodyLimit: Self.bodyLimit)
        return true
    }

    /// Writes an answer that closes the connection: it must be flushed at once, and the
    /// connection closed once it is sent.
    func expectClosingAnswerFlushedThenClosed(
        in state: inout State, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let flushNow = state.answerWritten(closing: true, now: Self.start)
        #expect(flushNow, sourceLocation: sourceLocation)
        let sent = state.answerSent(closing: true, now: Self.start)
        #expect(sent == .close, sourceLocation: sourceLocation)
    }

    @Test func aHotRequestIsKeptUntilItsEndThenAnswered() {
        var state = state()
        let post = head(.POST, "/v1/check")
        guard case .keep = state.head(post, route: .check, started: 7, bodyLimit: Self.bodyLimit) else {
            Issue.record("the head was not kept")
            return
        }
        guard case .keep = state.body(ByteBuffer(string: "{}"), bodyLimit: 10) else {
            Issue.record("the body was not kept")
            return
        }
        guard case .answer(.check, let answered, let body, _, 7) = state.end(nil) else {
            Issue.record("the request was not answered")
            return
        }
        #expect(answered.uri == "/v1/check")
        #expect(String(buffer: body) == "{}")
        #expect(state.routerRequestCount == 0)
    }

    @Test func aHotBodyOverTheLimitIsHandedToTheRouterWithEverythingRead() {
        var state = state()
        _ = state.head(head(.POST, "/v1/check"), route: .check, started: 0, bodyLimit: Self.bodyLimit)
        _ = state.body(ByteBuffer(string: "12345"), bodyLimit: 8)
        guard case .forward(let parts, sendContinue: false) = state.body(ByteBuffer(string: "6789"), bodyLimit: 8)
        else {
            Issue.record("the request was not forwarded")
            return
        }
        #expect(parts.count == 3)
        #expect(state.routerRequestCount == 1)
    }

    /// A request behind one the router is answering goes to the router, so answers keep order.
    @Test func aRequestBehindARouterRequestGoesToTheRouter() {
        var state = state()
        guard case .forward = request(head(.GET, "/v1/index"), route: nil, into: &state) else {
            Issue.record("the router's request was not forwarded")
            return
        }
        guard case .forward = request(head(), route: .range, into: &state) else {
            Issue.record("a hot request behind the router's was answered out of order")
            return
        }
        #expect(state.routerRequestCount == 2)
        let first = state.routerAnswerHead(status: .ok, now: Self.start)
        #expect(first != nil)
        _ = state.routerAnswerEnded(now: Self.start)
        let second = state.routerAnswerHead(status: .ok, now: Self.start)
        #expect(second != nil)
        _ = state.routerAnswerEnded(now: Self.start)
        #expect(state.routerRequestCount == 0)
    }

    /// Hummingbird's 400 to bytes that are no request answers none of the router's requests.
    @Test func aRouterAnswerToNoRequestLeavesTheCountAtZero() {
        var state = state()
        let answered = state.routerAnswerHead(status: .badRequest, now: Self.start)
        #expect(answered == nil)
        _ = state.routerAnswerEnded(now: Self.start)
        #expect(state.routerRequestCount == 0)
        guard case .keep = state.head(head(), route: .range, started: 0, bodyLimit: Self.bodyLimit) else {
            Issue.record("the next request was not the hot path's")
            return
        }
    }

    @Test func aRouterAnswerToHeadDropsItsBodyAndTellsTheVersion() {
        var state = state()
        _ = request(head(.HEAD, version: .http1_0), route: nil, into: &state)
        let interim = state.routerAnswerHead(status: .continue, now: Self.start)
        #expect(interim == nil)  // an interim answer
        let request = state.routerAnswerHead(status: .ok, now: Self.start)
        #expect(request?.isHead == true)
        #expect(request?.version == .http1_0)
        #expect(request?.keepAlive == false)
        #expect(state.dropsRouterBody)
        _ = state.routerAnswerEnded(now: Self.start)
        #expect(!state.dropsRouterBody)
    }

    @Test func aRouterRequestThatDoesNotKeepAliveIsToldToCloseInHummingbirdsWords() {
        var state = state()
        let action = state.head(
            head(.GET, "/v1/index", ["Connection": "Keep-Alive, CLOSE"]), route: nil, started: 0,
            bodyLimit: Self.bodyLimit)
        guard case .forward(let parts, _) = action, case .head(let forwarded) = parts.first else {
            Issue.record("the head was not forwarded")
            return
        }
        #expect(forwarded.headers["Connection"] == ["close"])
    }

    // MARK: Backpressure

    @Test func partsAndReadsAreHeldWhileTooManyAnswersAreUnsentThenResumed() {
        var state = state()
        for _ in 0..<2 {
            guard case .answer = request(head(), route: .range, into: &state) else {
                Issue.record("a hot request was not answered")
                return
            }
            let flushNow = state.answerWritten(closing: false, now: Self.start)
            #expect(!flushNow)
        }
        let heldHead = state.received(.head(head()), now: Self.start)
        #expect(heldHead == .hold)
        let heldEnd = state.received(.end(nil), now: Self.start)
        #expect(heldEnd == .hold)
        let readsNow = state.readRequested()
        #expect(!readsNow)
        let resumes = state.answerSent(closing: false, now: Self.start) == .resume(release: [])
        #expect(resumes)
        let resuming = state.startResuming()
        #expect(resuming)
        let resumingTwice = state.startResuming()
        #expect(!resumingTwice)  // one resumption at a time
        guard case .process(.head) = state.nextResumeStep(), case .process(.end) = state.nextResumeStep(),
            case .readComplete = state.nextResumeStep(), case .read = state.nextResumeStep()
        else {
            Issue.record("the held parts and read were not taken up in order")
            return
        }
        let readsAgain = state.readRequested()
        #expect(readsAgain)
    }

    @Test func anAnswerThatClosesIsFlushedAtOnceAndClosesWhenSent() {
        var state = state()
        _ = request(head(), route: .range, into: &state)
        expectClosingAnswerFlushedThenClosed(in: &state)
    }

    @Test func answersWrittenDuringAReadAreFlushedAtItsEnd() {
        var state = state()
        _ = request(head(), route: .range, into: &state)
        _ = state.answerWritten(closing: false, now: Self.start)
        let flushes = state.readComplete()
        #expect(flushes)
        let flushesAgain = state.readComplete()
        #expect(!flushesAgain)
    }

    // MARK: Shutdown and half-close

    @Test(arguments: [State.HeldEvent.shouldQuiesce, .inputClosed])
    func anEventOnAnIdleConnectionPassesAtOnce(_ event: State.HeldEvent) {
        var state = state()
        let passed = state.hold(event)
        #expect(passed == [event])
    }

    @Test(arguments: [State.HeldEvent.shouldQuiesce, .inputClosed])
    func anEventWaitsForTheHotRequestBeingReadAndItsAnswer(_ event: State.HeldEvent) {
        var state = state()
        _ = state.head(head(.POST, "/v1/check"), route: .check, started: 0, bodyLimit: Self.bodyLimit)
        let passed = state.hold(event)
        #expect(passed == [])
        guard case .answer = state.end(nil) else {
            Issue.record("the hot request was not answered")
            return
        }
        _ = state.answerWritten(closing: false, now: Self.start)
        let released = state.answerSent(closing: false, now: Self.start) == .resume(release: [event])
        #expect(released)
    }

    /// Answers sent while held requests are taken up (a flush that the socket takes at once)
    /// do not let an event pass before those requests are answered.
    @Test func anEventWaitsForHeldRequestsToo() {
        var state = state()
        for _ in 0..<2 {
            _ = request(head(), route: .range, into: &state)
            _ = state.answerWritten(closing: false, now: Self.start)
        }
        let held = state.received(.head(head()), now: Self.start)
        #expect(held == .hold)
        let passed = state.hold(.inputClosed)
        #expect(passed == [])
        for _ in 0..<2 {
            let sent = state.answerSent(closing: false, now: Self.start)
            #expect(sent == .resume(release: []))
        }
        guard takeUpHeldHead(route: .range, in: &state) else { return }
        let end = state.received(.end(nil), now: Self.start)
        #expect(end == .process)
        guard case .answer = state.end(nil) else {
            Issue.record("the held request was not answered")
            return
        }
        _ = state.answerWritten(closing: false, now: Self.start)
        let last = state.answerSent(closing: false, now: Self.start)
        #expect(last == .resume(release: [.inputClosed]))
    }

    @Test func shutdownAndHalfCloseWaitingTogetherPassInTheirOrder() {
        var state = state()
        _ = request(head(), route: .range, into: &state)
        _ = state.answerWritten(closing: false, now: Self.start)
        let passedInputClosed = state.hold(.inputClosed)
        #expect(passedInputClosed == [])
        let passedQuiesce = state.hold(.shouldQuiesce)
        #expect(passedQuiesce == [])
        let released =
            state.answerSent(closing: false, now: Self.start) == .resume(release: [.inputClosed, .shouldQuiesce])
        #expect(released)
    }

    /// Once the client has shut its side, NIO makes the output's close a full one, which
    /// drops what is unsent: Hummingbird's close of the output waits for the router's answer.
    @Test func theOutputIsShutOnceTheRoutersAnswerHasLeft() {
        var state = state()
        _ = request(head(.GET, "/v1/index"), route: nil, into: &state)
        _ = state.routerAnswerHead(status: .ok, now: Self.start)
        _ = state.routerAnswerEnded(now: Self.start)
        let closesNow = state.requestOutputClose()
        #expect(!closesNow)
        state.routerAnswerSent()
        let released = state.releaseHeldOutputClose()
        #expect(released)
        let releasedAgain = state.releaseHeldOutputClose()
        #expect(!releasedAgain)
    }

    @Test func theOutputIsShutOnceTheHotAnswersHaveLeft() {
        var state = state()
        _ = request(head(), route: .range, into: &state)
        _ = state.answerWritten(closing: false, now: Self.start)
        let closesNow = state.requestOutputClose()
        #expect(!closesNow)
        _ = state.answerSent(closing: false, now: Self.start)
        let released = state.releaseHeldOutputClose()
        #expect(released)
    }

    @Test func anOutputCloseWithNothingUnsentGoesAtOnce() {
        var state = state()
        let closesNow = state.requestOutputClose()
        #expect(closesNow)
        let released = state.releaseHeldOutputClose()
        #expect(!released)
    }

    /// A hot request handed to the router is the router's to finish: Hummingbird holds the
    /// shutdown until its answer.
    @Test func anEventPassesOnceTheHotRequestIsHandedToTheRouter() {
        var state = state()
        _ = state.head(head(.POST, "/v1/check"), route: .check, started: 0, bodyLimit: Self.bodyLimit)
        let passed = state.hold(.shouldQuiesce)
        #expect(passed == [])
        _ = state.handOver([.head(head(.POST, "/v1/check")), .end(nil)])
        let released = state.releasedEvents()
        #expect(released == [.shouldQuiesce])
    }

    @Test func anErrorWhileAHotRequestIsReadReleasesTheShutdown() {
        var state = state()
        _ = state.head(head(.POST, "/v1/check"), route: .check, started: 0, bodyLimit: Self.bodyLimit)
        let passed = state.hold(.shouldQuiesce)
        #expect(passed == [])
        let action = state.errorCaught()
        #expect(action == .fire(release: [.shouldQuiesce]))
    }

    /// Bytes that are no request, decoded behind held requests, fail the connection only once
    /// those are taken up and the answers before it sent; a held hot head left without its
    /// end by the error ends then too.
    @Test func anErrorWaitsBehindHeldPartsThenEndsAHotRequestLeftOpen() {
        var state = state()
        for _ in 0..<2 {
            _ = request(head(), route: .range, into: &state)
            _ = state.answerWritten(closing: false, now: Self.start)
        }
        let held = state.received(.head(head(.POST, "/v1/check")), now: Self.start)
        #expect(held == .hold)
        let action = state.errorCaught()
        #expect(action == .hold)
        _ = state.answerSent(closing: false, now: Self.start)
        guard takeUpHeldHead(route: .check, in: &state) else { return }
        guard case .readComplete = state.nextResumeStep(), case .done = state.nextResumeStep() else {
            Issue.record("the error was passed on before the answer still unsent")
            return
        }
        _ = state.answerSent(closing: false, now: Self.start)
        let resumingAgain = state.startResuming()
        #expect(resumingAgain)
        guard case .error = state.nextResumeStep() else {
            Issue.record("the error was not passed on after the held parts and their answers")
            return
        }
        guard case .idle = state.reading else {
            Issue.record("the hot request cut off by the error is still read")
            return
        }
    }

    // MARK: 100-continue

    static let expecting: HTTPHeaders = ["Expect": "100-continue", "Content-Length": "2"]

    /// The handler applies the policy to the head, then sends `100 Continue` or the refusal.
    @Test func aHotRequestThatExpectsContinueIsJudgedOnItsHeadAtOnce() {
        var state = state()
        guard
            case .judge(.check, _, declaredTooLarge: false, started: 7) = state.head(
                head(.POST, "/v1/check", Self.expecting), route: .check, started: 7, bodyLimit: Self.bodyLimit)
        else {
            Issue.record("the head was not judged")
            return
        }
    }

    /// The hot path sent its `100 Continue`: the router, taking the request over, owes none.
    @Test func aHotRequestHandedToTheRouterIsOwedNoSecondContinue() {
        var state = state()
        let post = head(.POST, "/v1/check", Self.expecting)
        _ = state.head(post, route: .check, started: 0, bodyLimit: Self.bodyLimit)
        _ = state.body(ByteBuffer(string: "{}"), bodyLimit: Self.bodyLimit)
        guard case .answer = state.end(nil) else {
            Issue.record("the hot request was not read whole")
            return
        }
        _ = state.handOver([.head(post), .body(ByteBuffer(string: "{}")), .end(nil)])
        let answered = state.routerAnswerHead(status: .badRequest, now: Self.start)
        #expect(answered?.owesContinue == false)
    }

    /// A declared body over the hot path's limit whose client sends it anyway is the
    /// router's to refuse (413), once read past the limit; none is invited.
    @Test func aHotRequestDeclaringABodyOverTheLimitWithoutExpectationGoesToTheRouter() {
        var state = state()
        let post = head(.POST, "/v1/check", ["Content-Length": String(Self.bodyLimit + 1)])
        guard
            case .forward(let parts, sendContinue: false) = state.head(
                post, route: .check, started: 0, bodyLimit: Self.bodyLimit), parts.count == 1
        else {
            Issue.record("the head was kept, or 100 Continue sent")
            return
        }
        let answered = state.routerAnswerHead(status: .payloadTooLarge, now: Self.start)
        #expect(answered?.owesContinue == false)
    }

    @Test func aRouterRequestThatExpectsContinueIsSentItOnceTheAnswersBeforeItAreOut() {
        var state = state()
        _ = request(head(.GET, "/v1/index"), route: nil, into: &state)
        guard
            case .forward(_, sendContinue: false) = state.head(
                head(.POST, "/v1/check/batch", Self.expecting), route: nil, started: 0, bodyLimit: Self.bodyLimit)
        else {
            Issue.record("100 Continue before the earlier answer")
            return
        }
        _ = state.routerAnswerHead(status: .ok, now: Self.start)
        let continues = state.routerAnswerEnded(now: Self.start)
        #expect(continues)
        _ = state.routerAnswerHead(status: .ok, now: Self.start)
        let continuesAgain = state.routerAnswerEnded(now: Self.start)
        #expect(!continuesAgain)
    }

    @Test func aRouterRequestThatExpectsContinueOnAnIdleConnectionIsSentItAtOnce() {
        var state = state()
        guard
            case .forward(_, sendContinue: true) = state.head(
                head(.POST, "/v1/check/batch", Self.expecting), route: nil, started: 0, bodyLimit: Self.bodyLimit)
        else {
            Issue.record("no 100 Continue")
            return
        }
    }

    static let expectations: [(HTTPVersion, HTTPHeaders, Bool)] = [
        (.http1_1, ["Expect": "100-Continue"], true),
        (.http1_1, ["Expect": "x, 100-continue"], true),
        (.http1_1, ["Expect": "x", "expect": "100-continue"], true),
        (.http1_1, ["Expect": "x"], false),
        (.http1_1, [:], false),
        (.http1_0, ["Expect": "100-continue"], false),
    ]

    @Test(arguments: expectations)
    func whoExpectsContinue(_ version: HTTPVersion, _ headers: HTTPHeaders, _ expects: Bool) {
        #expect(head(.POST, version: version, headers).expectsContinue == expects)
    }

    // MARK: Idle timer and request deadline

    @Test func aQuietConnectionClosesAfterTheIdleTimeout() {
        var state = State(idleTimeout: Self.idleTimeout, requestTimeout: nil, maximumQueuedAnswers: 2)
        let first = state.started(now: Self.start)
        #expect(first == Self.start + Self.idleTimeout)
        #expect(state.idleCheck(now: Self.start + .seconds(10)) == .check(at: Self.start + Self.idleTimeout))
        #expect(state.idleCheck(now: Self.start + Self.idleTimeout) == .close)
    }

    @Test func aRouterRequestReadWholeKeepsTheConnectionUntilItsAnswerEnds() {
        var state = state()
        _ = request(head(.GET, "/v1/index"), route: nil, into: &state)
        let late = Self.start + Self.idleTimeout * 3
        #expect(state.idleCheck(now: late) == .check(at: late + Self.idleTimeout))
        _ = state.routerAnswerHead(status: .ok, now: Self.start)
        _ = state.routerAnswerEnded(now: late)
        #expect(state.idleCheck(now: late + Self.idleTimeout) == .close)
    }

    @Test func aRouterRequestStillArrivingCountsAsIdle() {
        var state = state()
        let arrived = state.received(.head(head(.POST, "/v1/check/batch")), now: Self.start)
        #expect(arrived == .process)
        _ = state.head(head(.POST, "/v1/check/batch"), route: nil, started: 0, bodyLimit: Self.bodyLimit)
        #expect(state.idleCheck(now: Self.start + Self.idleTimeout) == .close)
    }

    @Test func aBodyStillArrivingAtTheRequestDeadlineIsCutOff() {
        var state = state(idleTimeout: .seconds(2), requestTimeout: .seconds(10))
        let arrived = state.received(.head(head(.POST, "/v1/check")), now: Self.start)
        #expect(arrived == .process)
        _ = state.head(head(.POST, "/v1/check"), route: .check, started: 0, bodyLimit: Self.bodyLimit)
        let late = Self.start + .seconds(9)
        let body = state.received(.body(ByteBuffer(string: " ")), now: late)
        #expect(body == .process)
        #expect(state.idleCheck(now: late) == .check(at: late + .seconds(1)))
        #expect(state.idleCheck(now: Self.start + .seconds(10)) == .close)
    }
}
