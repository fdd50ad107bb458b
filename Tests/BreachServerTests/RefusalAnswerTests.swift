import HTTPTypes
import NIOCore
import Testing

@testable import BreachServer

/// Refusals are answered from answers made once (`Answer.refusing`), with the bytes an answer
/// made for the request would have.
@Suite struct RefusalAnswerTests {
    static func bytes(_ answer: Answer) -> (status: Int, head: String, body: String) {
        (answer.status.code, String(buffer: answer.encodedHead), String(buffer: answer.body))
    }

    static let unauthorized = BearerTokens(["a-token"]).rejection(nil)!

    @Test func aKeptRefusalHasTheBytesOfOneMadeForTheRequest() {
        for refusal in [RequestPolicy.rateLimited(retryAfter: 1), Self.unauthorized, JSONBody.tooLarge(limit: 1024)] {
            let first = Answer.refusing(refusal)
            let again = Answer.refusing(refusal)
            #expect(Self.bytes(first) == Self.bytes(Answer(refusal: refusal)))
            #expect(Self.bytes(again) == Self.bytes(Answer(refusal: refusal)))
        }
    }

    @Test func refusalsThatDifferOnlyInRetryAfterEachGetTheirOwn() {
        let one = Self.bytes(Answer.refusing(RequestPolicy.rateLimited(retryAfter: 1)))
        let three = Self.bytes(Answer.refusing(RequestPolicy.rateLimited(retryAfter: 3)))
        #expect(one.head.contains("Retry-After: 1\r\n"))
        #expect(three.head.contains("Retry-After: 3\r\n"))
        #expect(one.body == three.body)
    }

    @Test func aWaitIsRoundedUpToWholeSeconds() {
        #expect(RequestPolicy.retryAfter(0.01) == 1)
        #expect(RequestPolicy.retryAfter(2) == 2)
        #expect(RequestPolicy.retryAfter(2.5) == 3)
    }

    @Test func theRateLimitsAnswerFoundByItsSecondsIsTheOneMadeFromTheError() {
        for seconds in [1, 7, 1, 7] {
            #expect(
                Self.bytes(Answer.rateLimited(retryAfter: seconds))
                    == Self.bytes(Answer(refusal: RequestPolicy.rateLimited(retryAfter: seconds))))
        }
    }

    @Test func theUnauthorizedAnswerAsksForABearerToken() {
        let unauthorized = Self.bytes(Answer.unauthorized)
        #expect(unauthorized.status == 401)
        #expect(unauthorized.head.contains("WWW-Authenticate: Bearer\r\n"))
        #expect(unauthorized.body.contains(#""code":"unauthorized""#))
    }

    @Test func theRateLimitsAnswersKeptBySecondsDoNotCrowdOutOtherRefusals() {
        let refusals = RefusalAnswers()
        for seconds in 1...(RefusalAnswers.limit + 10) { _ = refusals.rateLimited(retryAfter: seconds) }
        #expect(refusals.count == 0)
    }

    @Test func refusalsThatDifferInStatusOrMessageEachGetTheirOwn() {
        var teapot = APIError(status: .init(code: 429, reasonPhrase: "Slow Down"), code: "rate_limited", message: "m")
        let slow = Self.bytes(Answer.refusing(teapot))
        teapot.explanation = "why"
        let explained = Self.bytes(Answer.refusing(teapot))
        #expect(slow.head.hasPrefix(" 429 Slow Down\r\n"))
        #expect(!slow.body.contains("why"))
        #expect(explained.body.contains("why"))
        #expect(
            Self.bytes(Answer.refusing(RequestPolicy.rateLimited(retryAfter: 1))).head.hasPrefix(
                " 429 Too Many Requests\r\n"))
    }

    @Test func theRefusalsKeptAreBoundedAndThoseNotKeptAreStillRight() {
        let refusals = RefusalAnswers()
        for seconds in 1...(RefusalAnswers.limit + 10) {
            let answer = refusals.answer(refusing: RequestPolicy.rateLimited(retryAfter: seconds))
            #expect(String(buffer: answer.encodedHead).contains("Retry-After: \(seconds)\r\n"))
            let bySeconds = refusals.rateLimited(retryAfter: seconds)
            #expect(Self.bytes(bySeconds) == Self.bytes(answer))
        }
        #expect(refusals.count == RefusalAnswers.limit)
    }
}
