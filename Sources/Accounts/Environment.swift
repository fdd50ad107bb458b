import Foundation

/// The time the rules run on. Production uses ``SystemClock``; tests move a fake one
/// forward to cross a 24-hour expiry without sleeping.
public protocol AccountClock: Sendable {
    func now() -> Date
}

public struct SystemClock: AccountClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Where secrets come from: tokens, salts, codes. Production uses the system CSPRNG.
public protocol SecureRandomSource: Sendable {
    func bytes(count: Int) -> [UInt8]
}

/// The kernel's CSPRNG (`getrandom(2)` on Linux, through `SystemRandomNumberGenerator`).
public struct SystemRandomSource: SecureRandomSource {
    public init() {}
    public func bytes(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in generator.next() }
    }
}
