import BreachCheck

/// Checks against an index opened in this process: about a microsecond, no I/O.
public struct LocalBreachChecker: BreachChecker {
    private let currentIndex: @Sendable () -> BreachIndex

    /// `currentIndex` is asked on every check, so a server that swaps its index on
    /// reload hands the checker the new one without a restart.
    public init(currentIndex: @escaping @Sendable () -> BreachIndex) {
        self.currentIndex = currentIndex
    }

    public init(index: BreachIndex) {
        self.init(currentIndex: { index })
    }

    public func breachCount(ofPassword password: String) async throws -> UInt64 {
        currentIndex().count(ofPassword: password)
    }
}
