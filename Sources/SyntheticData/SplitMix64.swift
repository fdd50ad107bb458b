import BreachHash
import Foundation

/// A small, fast random generator, reproducible from its seed: synthetic dumps,
/// benchmark fixtures and test data all come from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1].
    public mutating func unitInterval() -> Double {
        max(Double(next() >> 11) / Double(1 << 53), 1e-300)
    }

    /// A standard normal sample (Box–Muller).
    public mutating func gaussian() -> Double {
        (-2 * log(unitInterval())).squareRoot() * cos(2 * .pi * unitInterval())
    }

    /// A Poisson sample of mean `mean`: exact (Knuth) below 30, normal above.
    public mutating func poisson(mean: Double) -> Int {
        if mean >= 30 { return max(0, Int((mean + mean.squareRoot() * gaussian()).rounded())) }
        let limit = exp(-mean)
        var k = 0, product = unitInterval()
        while product > limit {
            k += 1
            product *= unitInterval()
        }
        return k
    }

    /// A uniformly random digest of `kind`, with the given 20-bit prefix if any.
    public mutating func digest(_ kind: HashKind, prefix: Int? = nil) -> HashDigest {
        var high = next()
        if let prefix { high = UInt64(prefix) << 44 | high >> 20 }
        return HashDigest(high: high, middle: next(), low: kind == .sha1 ? UInt32(truncatingIfNeeded: next()) : 0)
    }

    /// A count with the heavy tail of real breach data: P(count ≥ k) = k^−1.1, so about
    /// half are 1 and a few reach millions.
    public mutating func paretoCount() -> UInt64 {
        UInt64(min(pow(max(unitInterval(), 1e-15), -1 / 1.1), 1e12))
    }
}
