import BreachSupport
import Foundation

/// L2: throttling that grows with consecutive failures.
///
/// The first few failures cost nothing; from `failuresBeforeLockout` on, each locks the
/// account for `firstLockout`, doubled per further failure up to `maximumLockout`.
/// Attempts while locked are refused without being counted, so a stranger can hold an
/// account only for the current lock, and at `failuresBeforeResetRequired` (100, NIST
/// 800-63B's ceiling) sign-in waits for a reset, which the owner can always do.
struct LockoutPolicy {
    let configuration: AccountConfiguration

    /// How long the `failures`-th consecutive failure locks the account; nil for no lock,
    /// `.distantFuture` when only a reset will unlock it.
    func lockUntil(afterFailures failures: Int, now: Date) -> Date? {
        if failures >= configuration.failuresBeforeResetRequired { return .distantFuture }
        guard failures >= configuration.failuresBeforeLockout else { return nil }
        let doublings = min(failures - configuration.failuresBeforeLockout, 40)
        let seconds = min(
            configuration.firstLockout.timeInterval * pow(2, Double(doublings)),
            configuration.maximumLockout.timeInterval)
        return now.addingTimeInterval(seconds)
    }

    func isLocked(_ account: Account, now: Date) -> Bool {
        account.failedSignIns >= configuration.failuresBeforeResetRequired
            || (account.lockedUntil.map { $0 > now } ?? false)
    }
}
