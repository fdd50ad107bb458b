import BreachHash

/// A query of a batch and its place in the batch, as a batch sorted by prefix carries it.
/// (The place is a `UInt32`: it fills the digest's padding, so a query is 24 bytes.)
package struct PrefixOrderedQuery {
    package var digest: HashDigest
    package var origin: UInt32
}

/// `digests` with their places in it, sorted by prefix, in the second half of `scratch`
/// (twice as long as `digests`, which has at most 2^32 elements); its first half is free
/// again on return.
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
    /// Where `prefix`'s digit of `pass` (0: the low ten bits, 1: the high) is counted in
    /// `starts`, which holds the first pass's 2^10 digits, then the second's.
    func startIndex(forDigitOf prefix: Int, pass: Int) -> Int {
        pass << digitBits | (prefix >> (pass * digitBits)) & digitMask
    }
    // Both digits' counts come from one read of the digests.
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 << digitBits) { starts in
        starts.initialize(repeating: 0)
        for digest in digests {
            starts[startIndex(forDigitOf: digest.prefix, pass: 0)] += 1
            starts[startIndex(forDigitOf: digest.prefix, pass: 1)] += 1
        }
        for pass in 0..<2 {
            var total = 0
            for digit in (pass << digitBits)..<((pass + 1) << digitBits) {
                (starts[digit], total) = (total, total + starts[digit])
            }
        }
        /// One pass: `queryAt(i)` for every i, put in order of its digit `pass` (stable, so
        /// that the second pass keeps the first one's order within a digit).
        func distribute(
            byDigit pass: Int, _ queryAt: (Int) -> PrefixOrderedQuery,
            into output: UnsafeMutableBufferPointer<PrefixOrderedQuery>
        ) {
            for at in 0..<n {
                let query = queryAt(at), digit = startIndex(forDigitOf: query.digest.prefix, pass: pass)
                (output.baseAddress! + starts[digit]).initialize(to: query)
                starts[digit] += 1
            }
        }
        distribute(byDigit: 0, { PrefixOrderedQuery(digest: digests[$0], origin: UInt32($0)) }, into: firstPass)
        distribute(byDigit: 1, { firstPass[$0] }, into: sorted)
    }
    return sorted
}
