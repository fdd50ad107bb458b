import BreachHash
import BreachIndex

/// The padding of a range answer (`Add-Padding: true`): random suffixes with count 0, so
/// that every padded answer has 800 to 1,000 lines, as the public API's do, and its length
/// tells an observer of the (encrypted) traffic little about the prefix asked for.
enum RangePadding {
    /// Lines of a padded answer, real and padding rows together.
    static let lines = 800...1000

    /// Random suffixes of `kind` to pad `realCount` rows with, ascending, made in linear time
    /// (a counting sort on their top bits) so they merge into the real rows without a set or
    /// a sort of the whole answer.
    static func suffixes(padding realCount: Int, kind: HashKind) -> [RangeSuffix] {
        var random = PaddingGenerator()
        let target = lines.lowerBound + Int(random.next() % UInt64(lines.count))
        let count = target - realCount
        guard count > 0 else { return [] }
        let (secondMask, thirdMask) = RangeSuffix.masks(suffixBits: kind.suffixBitCount)
        let drawn = (0..<count).map { _ in
            RangeSuffix(first: random.next(), second: random.next() & secondMask, third: random.next() & thirdMask)
        }
        // Counting sort on the top 10 bits (≈1 suffix a bin), then insertion sort within bins.
        let binBits = 10
        var starts = [Int](repeating: 0, count: (1 << binBits) + 1)
        for suffix in drawn { starts[Int(suffix.first >> UInt64(64 - binBits)) + 1] += 1 }
        for bin in 0..<(1 << binBits) { starts[bin + 1] += starts[bin] }
        var sorted = [RangeSuffix](repeating: RangeSuffix(first: 0, second: 0, third: 0), count: count)
        var next = starts
        for suffix in drawn {
            let bin = Int(suffix.first >> UInt64(64 - binBits))
            var at = next[bin]
            next[bin] += 1
            while at > starts[bin], suffix < sorted[at - 1] {
                sorted[at] = sorted[at - 1]
                at -= 1
            }
            sorted[at] = suffix
        }
        return sorted
    }
}

/// xoshiro256** (Blackman and Vigna), seeded with 256 bits from the system's CSPRNG for every
/// answer. Padding needs thousands of draws an answer: one system call each
/// (`SystemRandomNumberGenerator`) would cost more than the rest of the answer. Why not a cryptographic stream:
/// the rows go to the client, who tells them from real ones by their count anyway; an
/// observer of the encrypted traffic sees only the length, and a fresh CSPRNG seed per
/// answer leaves it nothing to predict from one answer to the next.
struct PaddingGenerator: RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        (s0, s1, s2, s3) = (system.next(), system.next(), system.next(), system.next())
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the one state xoshiro never leaves
    }

    mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotated(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotated(by: 45)
        return result
    }
}

private extension UInt64 {
    func rotated(by bits: UInt64) -> UInt64 { self << bits | self >> (64 - bits) }
}
