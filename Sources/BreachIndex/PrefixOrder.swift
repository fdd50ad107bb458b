import BreachHash

/// A query of a batch and its place in the batch, as a batch sorted by prefix carries it.
/// (The place is a `UInt32`: it fills the digest's padding, so a query is 24 bytes.)
package struct PrefixOrderedQuery {
    package var digest: HashDigest
    package var origin: UInt32
}

/// `digests` with their places in it, sorted by prefix, in `scratch` (twice as long as
/// `digests`, which has at most 2^32 elements).
///
/// A least-significant-digit radix sort, two passes of ten bits: written by hand because
/// the standard library's comparison sort took 100–120 ns a query on a million, as long as
/// the batched lookups it is meant to speed up; this takes ≈ 13 (docs/benchmarks.md,
/// "Batches in prefix order").
package func sortedByPrefix(
    _ digests: UnsafeBufferPointer<HashDigest>, scratch: UnsafeMutableBufferPointer<PrefixOrderedQuery>
) -> UnsafeMutableBufferPointer<PrefixOrderedQuery> {
    let n = digests.count, digitBits = HashDigest.prefixBitCount / 2, digitMask = (1 << digitBits) - 1
    assert(2 * digitBits == HashDigest.prefixBitCount && n <= Int(UInt32.max) && scratch.count >= 2 * n)
    let firstPass = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
    let sorted = UnsafeMutableBufferPointer(rebasing: scratch[n..<(2 * n)])
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 1 << digitBits) { starts in
        /// One pass: `queryAt(i)` for every i, put in order of the digit at `shift`
        /// (stable, so the second pass keeps the first one's order within a digit).
        func distribute(
            byDigitAt shift: Int, _ queryAt: (Int) -> PrefixOrderedQuery,
            into output: UnsafeMutableBufferPointer<PrefixOrderedQuery>
        ) {
            starts.initialize(repeating: 0)
            for at in 0..<n { starts[(queryAt(at).digest.prefix >> shift) & digitMask] += 1 }
            var total = 0
            for digit in starts.indices { (starts[digit], total) = (total, total + starts[digit]) }
            for at in 0..<n {
                let query = queryAt(at), digit = (query.digest.prefix >> shift) & digitMask
                (output.baseAddress! + starts[digit]).initialize(to: query)
                starts[digit] += 1
            }
        }
        distribute(byDigitAt: 0, { PrefixOrderedQuery(digest: digests[$0], origin: UInt32($0)) }, into: firstPass)
        distribute(byDigitAt: digitBits, { firstPass[$0] }, into: sorted)
    }
    return sorted
}
