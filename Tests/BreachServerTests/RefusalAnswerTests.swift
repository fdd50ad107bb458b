import HTTPTypes
import NIOCore
import Testing

@testable import BreachServer

/// The hot path answers its refusals (429, 401, 413) from answers made once, with the bytes
/// an answer made for the request would have (and the router's: `RequestParityTests`).
@Suite struct RefusalAnswerTests {
    static func bytes(_ answer: Answer) -> (status: Int, head: String, body: String) {
        (answer.status.code, String(buffer: answer.encodedHead), String(buffer: answer.body))
    }

    @Test func aKeptRateLimitAnswerHasTheBytesOfOneMadeForTheRequest() {
        for seconds in [1, 7, 1, 7] {
            #expect(
                Self.bytes(Answer.rateLimited(retryAfter: seconds))
                    == Self.bytes(Answer(refusal: RequestPolicy.rateLimited(retryAfter: seconds))))
        }
    }

    @Test func aRateLimitAnswerSaysTheSecondsToWait() {
        let one = Self.bytes(Answer.rateLimited(retryAfter: 1))
        let three = Self.bytes(Answer.rateLimited(retryAfter: 3))
        #expect(one.head.hasPrefix(" 429 Too Many Requests\r\n"))
        #expect(one.head.contains("Retry-After: 1\r\n"))
        #expect(three.head.contains("Retry-After: 3\r\n"))
        #expect(one.body == three.body)
    }

    @Test func aWaitIsRoundedUpToWholeSeconds() {
        #expect(RequestPolicy.retryAfter(0.01) == 1)
        #expect(RequestPolicy.retryAfter(2) == 2)
        #expect(RequestPolicy.retryAfter(2.5) == 3)
    }

    @Test func theRateLimitAnswersKeptAreBounded() {
        let refusals = RefusalAnswers()
        for seconds in 1...(RefusalAnswers.limit + 10) { _ = refusals.rateLimited(retryAfter: seconds) }
        #expect(refusals.rateLimitedCount == RefusalAnswers.limit)
    }

    @Test func pastTheBoundARateLimitAnswerIsStillRight() {
        let refusals = RefusalAnswers()
        for seconds in 1...RefusalAnswers.limit { _ = refusals.rateLimited(retryAfter: seconds) }
        let seconds = RefusalAnswers.limit + 5
        #expect(
            Self.bytes(refusals.rateLimited(retryAfter: seconds))
                == Self.bytes(Answer(refusal: RequestPolicy.rateLimited(retryAfter: seconds))))
    }

    @Test func theUnauthorizedAnswerAsksForABearerToken() {
        let unauthorized = Self.bytes(Answer.unauthorized)
        #expect(unauthorized.status == 401)
        #expect(unauthorized.head.contains("WWW-Authenticate: Bearer\r\n"))
        #expect(unauthorized.body.contains(#""code":"unauthorized""#))
    }

    @Test func theCheckTooLargeAnswerNamesTheBodyLimit() {
        let tooLarge = Self.bytes(Answer.checkTooLarge)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.head.contains("Content-Type: application/json\r\n"))
        #expect(tooLarge.body.contains(String(CheckRoutes.bodyLimit)))
    }
}
