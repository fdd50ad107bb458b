import Foundation
import Testing

@testable import BreachDownload

@Suite struct RetryPolicyTests {
    /// Finding 1: a reset or a bad body is most often one bad connection: retried at once.
    @Test func theFirstRetryIsImmediateUnlessTheServerAsksToWait() {
        #expect(RetryPolicy().delay(afterFailure: 1, retryAfter: nil) == .zero)
    }

    @Test func laterDelaysDoubleWithJitterUpToTheMaximum() {
        var policy = RetryPolicy()
        policy.initialDelay = .seconds(1)
        policy.maximumDelay = .seconds(10)
        for _ in 0..<100 {
            #expect(
                (Duration.milliseconds(500)...Duration.seconds(1)).contains(
                    policy.delay(afterFailure: 2, retryAfter: nil)))
            #expect(
                (Duration.seconds(2)...Duration.seconds(4)).contains(policy.delay(afterFailure: 4, retryAfter: nil)))
            #expect(
                (Duration.seconds(5)...Duration.seconds(10)).contains(policy.delay(afterFailure: 20, retryAfter: nil)))
        }
    }

    @Test func retryAfterIsWaitedAsAskedWithAtMostATenthMore() {
        for _ in 0..<100 {
            #expect(
                (Duration.seconds(7)...Duration.seconds(7.7)).contains(
                    RetryPolicy().delay(afterFailure: 1, retryAfter: .seconds(7))))
        }
    }

    @Test func retryAfterIsReadAsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.retryAfter("120") == .seconds(120))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}
