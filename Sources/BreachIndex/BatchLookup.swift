import BreachHash
import CMemoryHints
import Glibc

extension BreachIndex {
    /// How many queries apart the stages of a batch lookup run: enough queries in flight
    /// to keep the core's line-fill buffers busy (each stage issues one to six loads that
    /// miss), few enough that their lines stay in L1 until used (docs/benchmarks.md).
    static let batchDistance = 8

    /// The fewest queries a batch puts in prefix order before looking them up. The sort
    /// costs ≈ 12 ns a query and saves more the more queries share table lines, pages and
    /// buckets: at two billion hashes 16,384 queries break even, 2^18 save a quarter and
    /// 2^20 two fifths (docs/benchmarks.md, "Batches in prefix order").
    package static let prefixOrderMinimum = 1 << 14

    /// The most queries sorted together; a longer batch is sorted in parts this long, so
    /// that its scratch memory stays at ≈ 56 MiB. At two billion hashes a part this long
    /// still puts several queries on every line of the bucket table.
    package static let prefixOrderMaximum = 1 << 20

    /// A query's progress through the stages of ``counts(of:into:)``.
    private struct BatchQuery {
        var start: UnsafeRawPointer?
        var bucket: BucketReader?
        var entries = (0, 0)
    }

    /// A query and where its count goes, as a batch in prefix order carries it.
    private struct OrderedQuery {
        var digest: HashDigest
        var position: UInt32
    }

    /// The counts of `digests`, each as ``count(of:)`` gives it, written to `counts`
    /// (at least as long).
    ///
    /// A lookup is a chain of dependent memory reads (table entry, bucket header and slot
    /// marks, slot bits, record), each a cache miss at random; one at a time, a core waits
    /// on every one. Here the queries go through the chain as a pipeline, so that the
    /// misses of many queries overlap. A batch of at least `prefixOrderMinimum` queries is
    /// first put in prefix order: then the table is read from start to end, queries of one
    /// bucket share its lines, and successive queries fall in the same 2 MiB page of the
    /// index. That takes ≈ 56 bytes of scratch memory a query, the only memory a lookup
    /// allocates.
    public func counts(of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>) {
        precondition(counts.count >= digests.count, "one count per digest")
        guard digests.count >= Self.prefixOrderMinimum else {
            return pipelinedCounts(of: digests) { counts[$0] = $1 }
        }
        for first in stride(from: 0, to: digests.count, by: Self.prefixOrderMaximum) {
            let part = first..<min(first + Self.prefixOrderMaximum, digests.count)
            countsInPrefixOrder(
                of: UnsafeBufferPointer(rebasing: digests[part]),
                into: UnsafeMutableBufferPointer(rebasing: counts[part]))
        }
    }

    /// ``counts(of:into:)`` for at most `prefixOrderMaximum` digests, looked up in prefix order.
    private func countsInPrefixOrder(
        of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>
    ) {
        // Scratch, on 2 MiB pages: the queries with their positions twice (the sort's two
        // passes), then the counts in the order they are found.
        let n = digests.count, queryBytes = 2 * n * MemoryLayout<OrderedQuery>.stride
        let memory = allocateOnHugePages(byteCount: queryBytes + n * MemoryLayout<UInt64>.stride, for: "a batch")
        defer { free(memory) }
        let ordered = Self.inPrefixOrder(
            digests,
            scratch: UnsafeMutableBufferPointer(
                start: memory.bindMemory(to: OrderedQuery.self, capacity: 2 * n), count: 2 * n))
        let found = (memory + queryBytes).bindMemory(to: UInt64.self, capacity: n)
        // Counts are kept in the order they are found, then put in place in a loop of their
        // own: put in place as found, each took a line-fill buffer from the lookups.
        pipelinedCounts(of: ordered.lazy.map(\.digest)) { found[$0] = $1 }
        for (at, query) in ordered.enumerated() { counts[Int(query.position)] = found[at] }
    }

    /// The counts of `digests`, in order (``counts(of:into:)``).
    public func counts(of digests: [HashDigest]) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: digests.count) { counts, initialized in
            digests.withUnsafeBufferPointer { self.counts(of: $0, into: counts) }
            initialized = digests.count
        }
    }

    /// Looks up `queries` as a pipeline, `batchDistance` queries apart, and calls `answer`
    /// with each query's position and count, in order: the table entry of query i is
    /// requested while the header of i − d, the slot bits of i − 2d and the records of
    /// i − 3d are, and the answer of i − 4d is read. Each stage asks only for the lines the
    /// next one reads (the slot bits from the nearest mark to the query's slot, the records
    /// of its slot), so that few lines are in flight for each query.
    @inline(__always)
    private func pipelinedCounts<Queries: RandomAccessCollection>(
        of queries: Queries, answer: (Int, UInt64) -> Void
    ) where Queries.Element == HashDigest, Queries.Index == Int {
        let n = queries.count, distance = Self.batchDistance
        // A query's entry is written at its header stage and read three stages later: a
        // ring of 4·distance entries (a power of two, for the mask) is never overwritten early.
        let ringSize = 4 * distance, mask = ringSize - 1
        assert(ringSize & mask == 0, "the ring's size must be a power of two")
        withUnsafeTemporaryAllocation(of: BatchQuery.self, capacity: ringSize) { ring in
            for step in 0..<(n + 4 * distance) {
                if step < n { table.prefetchEntry(ofBucket: queries[step].prefix) }
                let header = step - distance
                if header >= 0 && header < n {
                    let start = table.start(ofBucket: queries[header].prefix)
                    if let start { breachdb_prefetch(start) }
                    (ring.baseAddress! + (header & mask)).initialize(to: BatchQuery(start: start))
                }
                // The later stages use each query's entry in place: a bucket reader is large
                // enough that copies of it were a third of a batch's work when cached.
                let slots = step - 2 * distance
                if slots >= 0 && slots < n, let start = ring[slots & mask].start {
                    ring[slots & mask].bucket = bucket(at: start)
                    ring[slots & mask].bucket?.prefetchSlotBits(for: queries[slots])
                }
                let records = step - 3 * distance
                if records >= 0 && records < n {
                    ring[records & mask].entries =
                        ring[records & mask].bucket?.entriesPrefetchingRecords(of: queries[records]) ?? (0, 0)
                }
                let position = step - 4 * distance
                if position >= 0 {
                    answer(
                        position,
                        ring[position & mask].bucket?.count(
                            of: queries[position], amongEntries: ring[position & mask].entries) ?? 0)
                }
            }
        }
    }

    /// `digests` with their positions, sorted by prefix (stable: a least-significant-digit
    /// radix sort, two passes of ten bits, in the halves of `scratch`). Written by hand
    /// because the standard library's comparison sort took 100–120 ns a query on a
    /// million, as long as the batched lookups it is meant to speed up.
    private static func inPrefixOrder(
        _ digests: UnsafeBufferPointer<HashDigest>, scratch: UnsafeMutableBufferPointer<OrderedQuery>
    ) -> UnsafeMutableBufferPointer<OrderedQuery> {
        let n = digests.count, digitBits = HashDigest.prefixBitCount / 2, digitMask = (1 << digitBits) - 1
        let first = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
        let second = UnsafeMutableBufferPointer(rebasing: scratch[n..<(2 * n)])
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 1 << digitBits) { starts in
            func sort(
                by shift: Int, query: (Int) -> OrderedQuery, into output: UnsafeMutableBufferPointer<OrderedQuery>
            ) {
                starts.initialize(repeating: 0)
                for at in 0..<n { starts[(query(at).digest.prefix >> shift) & digitMask] += 1 }
                var total = 0
                for digit in starts.indices { (starts[digit], total) = (total, total + starts[digit]) }
                for at in 0..<n {
                    let query = query(at), digit = (query.digest.prefix >> shift) & digitMask
                    (output.baseAddress! + starts[digit]).initialize(to: query)
                    starts[digit] += 1
                }
            }
            sort(by: 0, query: { OrderedQuery(digest: digests[$0], position: UInt32($0)) }, into: first)
            sort(by: digitBits, query: { first[$0] }, into: second)
        }
        return second
    }
}
