import NIOCore
import NIOHTTP1
import Testing

@testable import BreachServer

/// The transitions that end a connection, or hold its end: refusals made on a head alone,
/// graceful shutdown over held parts, an error behind unsent answers, and answers the client
/// does not take.
extension HotRouteConnectionStateTests {
    /// Answers `count` hot requests, whose answers stay unsent.
    func answered(_ count: Int, into state: inout State) {
        for _ in 0..<count {
            _ = request(head(), route: .range, into: &state)
            _ = state.answerWritten(closing: false, now: Self.start)
        }
    }

    // MARK: Refused on the head

    /// RFC 9110 §10.1.1: a server that refuses a request on its head may answer instead of
    /// `100 Continue`, then close rather than read the body.
    @Test func aCheckExpectingContinueWithABodyDeclaredOverTheLimitIsJudgedOnItsHead() {
        var state = state()
        let post = head(.POST, "/v1/check", ["Expect": "100-continue", "Content-Length": String(Self.bodyLimit + 1)])
        guard
            case .judge(.check, _, declaredTooLarge: true, _) = state.head(
                post, route: .check, started: 0, bodyLimit: Self.bodyLimit)
        else {
            Issue.record("the head was not judged as declaring too large a body")
            return
        }
        #expect(state.routerRequestCount == 0)
    }

    @Test func afterARefusalOnTheHeadNothingMoreIsTakenUp() {
        var state = state()
        let post = head(.POST, "/v1/check", Self.expecting)
        _ = state.received(.head(post), now: Self.start)
        _ = state.head(post, route: .check, started: 0, bodyLimit: Self.bodyLimit)
        state.refused()
        #expect(state.isClosing)
        let body = state.received(.body(ByteBuffer(string: "{}")), now: Self.start)
        #expect(body == .drop)
        let next = state.received(.head(head()), now: Self.start)
        #expect(next == .drop)
        expectClosingAnswerFlushedThenClosed(in: &state)
    }

    /// Behind a router request, a hot request that expects `100 Continue` waits, held, for
    /// the router's answer, then is judged on its head like any other: its answer (`100` or
    /// a refusal) cannot overtake the router's, and its declared length is checked.
    @Test func aHotRequestExpectingContinueBehindARouterRequestWaitsForItsAnswerThenIsJudged() {
        var state = state()
        _ = request(head(.GET, "/v1/index"), route: nil, into: &state)
        let post = head(.POST, "/v1/check", ["Expect": "100-continue", "Content-Length": String(Self.bodyLimit + 1)])
        let arrived = state.received(.head(post), now: Self.start)
        #expect(arrived == .process)
        guard case .wait = state.head(post, route: .check, started: 0, bodyLimit: Self.bodyLimit) else {
            Issue.record("the head did not wait for the router's answer")
            return
        }
        let next = state.received(.head(head()), now: Self.start)
        #expect(next == .hold)
        let readsNow = state.readRequested()
        #expect(!readsNow)
        _ = state.startResuming()
        guard case .done = state.nextResumeStep() else {
            Issue.record("the held head was taken up before the router's answer")
            return
        }
        _ = state.routerAnswerHead(status: .ok, now: Self.start)
        let continues = state.routerAnswerEnded(now: Self.start)
        #expect(!continues)
        let resuming = state.startResuming()
        #expect(resuming)
        guard case .process(.head(let taken)) = state.nextResumeStep(),
            case .judge(.check, _, declaredTooLarge: true, _) = state.head(
                taken, route: .check, started: 0, bodyLimit: Self.bodyLimit)
        else {
            Issue.record("the held head was not judged once the router's answer was out")
            return
        }
        state.refused()
        guard case .readComplete = state.nextResumeStep(), case .read = state.nextResumeStep() else {
            Issue.record("the held read was not made, or parts behind the refusal were taken up")
            return
        }
    }

    // MARK: Shutdown over held parts

    /// A read asked for while shutting down, when the head of a request is held, is made
    /// once that head is taken up: its body must still arrive for it to be answered.
    @Test func aReadAskedWhileShuttingDownWithAHeadHeldIsMadeOnceTheHeadIsTakenUp() {
        var state = state()
        answered(2, into: &state)
        let post = head(.POST, "/v1/check")
        let held = state.received(.head(post), now: Self.start)
        #expect(held == .hold)
        let passed = state.hold(.shouldQuiesce)
        #expect(passed == [])
        let readsNow = state.readRequested()
        #expect(!readsNow)
        _ = state.answerSent(closing: false, now: Self.start)
        guard takeUpHeldHead(route: .check, in: &state) else { return }
        guard case .readComplete = state.nextResumeStep(), case .read = state.nextResumeStep() else {
            Issue.record("the read asked for while shutting down was dropped")
            return
        }
    }

    /// Shutting down with only whole requests held, nothing more is read.
    @Test func aReadAskedWhileShuttingDownWithWholeRequestsHeldIsNotMade() {
        var state = state()
        answered(2, into: &state)
        _ = state.received(.head(head()), now: Self.start)
        _ = state.received(.end(nil), now: Self.start)
        _ = state.hold(.shouldQuiesce)
        let readsNow = state.readRequested()
        #expect(!readsNow)
        _ = state.answerSent(closing: false, now: Self.start)
        _ = state.startResuming()
        guard case .process(.head) = state.nextResumeStep(), case .process(.end) = state.nextResumeStep() else {
            Issue.record("the held request was not taken up")
            return
        }
        _ = state.head(head(), route: .range, started: 0, bodyLimit: Self.bodyLimit)
        _ = state.end(nil)
        guard case .readComplete = state.nextResumeStep(), case .done = state.nextResumeStep() else {
            Issue.record("a read was made while shutting down")
            return
        }
    }

    // MARK: Errors behind answers

    /// Hummingbird closes after its 400: an error waits for the answers before it to be sent.
    @Test func anErrorBehindAnUnsentAnswerWaitsUntilItIsSent() {
        var state = state()
        answered(1, into: &state)
        let action = state.errorCaught()
        #expect(action == .hold)
        let sent = state.answerSent(closing: false, now: Self.start)
        #expect(sent == .resume(release: []))
        let resuming = state.startResuming()
        #expect(resuming)
        guard case .error(release: []) = state.nextResumeStep() else {
            Issue.record("the error was not passed on once the answer was sent")
            return
        }
    }

    @Test func anErrorBehindHeldPartsWaitsForTheirAnswersToBeSent() {
        var state = state()
        answered(2, into: &state)
        _ = state.received(.head(head()), now: Self.start)
        _ = state.received(.end(nil), now: Self.start)
        let action = state.errorCaught()
        #expect(action == .hold)
        _ = state.answerSent(closing: false, now: Self.start)
        _ = state.startResuming()
        guard case .process(.head(let taken)) = state.nextResumeStep(),
            case .keep = state.head(taken, route: .range, started: 0, bodyLimit: Self.bodyLimit),
            case .process(.end) = state.nextResumeStep(), case .answer = state.end(nil)
        else {
            Issue.record("the held request was not answered")
            return
        }
        _ = state.answerWritten(closing: false, now: Self.start)
        guard case .readComplete = state.nextResumeStep(), case .done = state.nextResumeStep() else {
            Issue.record("the error was passed on before the held request's answer was sent")
            return
        }
        _ = state.answerSent(closing: false, now: Self.start)
        let notYet = state.startResuming()
        #expect(notYet)
        guard case .done = state.nextResumeStep() else {
            Issue.record("the error was passed on with an answer still unsent")
            return
        }
        _ = state.answerSent(closing: false, now: Self.start)
        _ = state.startResuming()
        guard case .error = state.nextResumeStep() else {
            Issue.record("the error was not passed on once every answer was sent")
            return
        }
    }

    /// A shutdown arriving while an error waits is passed on after it, not before.
    @Test func aShutdownWaitsBehindAHeldError() {
        var state = state()
        answered(1, into: &state)
        _ = state.errorCaught()
        let passed = state.hold(.shouldQuiesce)
        #expect(passed == [])
        let sent = state.answerSent(closing: false, now: Self.start)
        #expect(sent == .resume(release: []))
        _ = state.startResuming()
        guard case .error(release: [.shouldQuiesce]) = state.nextResumeStep() else {
            Issue.record("the shutdown did not follow the error")
            return
        }
    }

    // MARK: Answers not taken

    /// Once the router writes an answer, a client that does not take it is idle: the router
    /// is no longer what the connection waits for.
    @Test func aRouterAnswerTheClientDoesNotTakeCountsAsIdle() {
        var state = state()
        _ = request(head(.GET, "/v1/index"), route: nil, into: &state)
        let written = Self.start + .seconds(1)
        _ = state.routerAnswerHead(status: .ok, now: written)
        state.routerAnswerBodyWritten(now: written + .seconds(1))
        #expect(
            state.idleCheck(now: written + Self.idleTimeout) == .check(at: written + .seconds(1) + Self.idleTimeout))
        #expect(state.idleCheck(now: written + .seconds(1) + Self.idleTimeout) == .close)
    }
}
