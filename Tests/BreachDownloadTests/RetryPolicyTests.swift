@testable import BreachDownload
import Foundation
import Testing

@Suite struct RetryPolicyTests {
    @Test func delaysDoubleWithJitterUpToTheMaximum() {
        var policy = RetryPolicy()
        policy.initialDelay = .seconds(1)
        policy.maximumDelay = .seconds(10)
        for _ in 0..<100 {
            #expect((Duration.milliseconds(500)...Duration.seconds(1)).contains(policy.delay(afterFailure: 1, retryAfter: nil)))
            #expect((Duration.seconds(2)...Duration.seconds(4)).contains(policy.delay(afterFailure: 3, retryAfter: nil)))
            #expect((Duration.seconds(5)...Duration.seconds(10)).contains(policy.delay(afterFailure: 20, retryAfter: nil)))
        }
    }

    @Test func retryAfterIsWaitedAtLeastButBounded() {
        var policy = RetryPolicy()
        policy.initialDelay = .milliseconds(10)
        policy.maximumRetryAfter = .seconds(300)
        #expect(policy.delay(afterFailure: 1, retryAfter: .seconds(7)) == .seconds(7))
        #expect(policy.delay(afterFailure: 1, retryAfter: .seconds(86_400)) == .seconds(300))
    }

    @Test func retryAfterIsReadAsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.retryAfter("120") == .seconds(120))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}
