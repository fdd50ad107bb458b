import BreachHash

/// A hash and how many times it was seen in breaches (never capped).
public struct HashCount: Equatable, Sendable {
    public var digest: HashDigest
    public var count: UInt64

    public init(digest: HashDigest, count: UInt64) {
        self.digest = digest
        self.count = count
    }

    /// `a + b`, or `UInt64.max` where that overflows: counts summed from hostile or damaged
    /// input stay "seen at least this often" instead of wrapping to a small number (a
    /// breached password reading as almost never seen).
    @inlinable public static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

/// Builds a digest most-significant bits first (prefix, then slot, then record bits).
struct DigestBuilder {
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var length = 0

    @inline(__always) mutating func append(_ value: UInt64, bitCount: Int) {
        guard bitCount > 0 else { return }
        let end = length + bitCount
        // A field of ≤ 56 bits touches at most two of the three words.
        let firstWord = length >> 6
        let endInFirst = min(end, (firstWord + 1) << 6)
        let bitsInFirst = endInFirst - length
        let head = value >> UInt64(bitCount - bitsInFirst)
        set(firstWord, head << UInt64(((firstWord + 1) << 6) - endInFirst))
        if bitsInFirst < bitCount {
            let rest = bitCount - bitsInFirst
            let tail = value & ((1 << UInt64(rest)) - 1)
            set(firstWord + 1, tail << UInt64(64 - rest))
        }
        length = end
    }

    @inline(__always) private mutating func set(_ word: Int, _ bits: UInt64) {
        switch word {
        case 0: words.0 |= bits
        case 1: words.1 |= bits
        default: words.2 |= bits
        }
    }

    var digest: HashDigest {
        HashDigest(high: words.0, middle: words.1, low: UInt32(truncatingIfNeeded: words.2 >> 32))
    }
}
