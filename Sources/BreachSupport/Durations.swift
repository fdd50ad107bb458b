import Foundation

extension Duration {
    /// Seconds as Foundation counts them, for `Date` arithmetic, sleeps and rates.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
