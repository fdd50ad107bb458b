import BreachHash
import CMemoryHints
import Glibc

extension BreachIndex {
    /// How many queries apart the stages of a batch lookup run: enough queries in flight
    /// to keep the core's line-fill buffers busy (each stage issues one to six loads that
    /// miss), few enough that their lines stay in L1 until used (docs/benchmarks.md).
    static let batchDistance = 8

    /// The fewest queries a batch sorts by prefix before looking them up. The sort costs
    /// ≈ 13 ns a query and saves more the more queries share table lines, pages and
    /// buckets: at two billion hashes, against the same queries unsorted, 16,384 queries
    /// broke even and longer batches gained more (docs/benchmarks.md, "Batches in prefix
    /// order"; a million random hashes: 107 against 229–232 ns a lookup, "Batch lookups
    /// bound by their work").
    package static let prefixOrderMinimum = 1 << 14

    /// The most queries sorted together: a longer batch is sorted in parts this long, so
    /// that its scratch memory is at most 48 MiB. A part this long has ≈ 16 queries for
    /// each line of the bucket table, whatever the index's size.
    package static let prefixOrderMaximum = 1 << 20

    /// A query's progress through the stages of `pipelinedCounts(of:answer:)`.
    private struct BatchQuery {
        var start: UnsafeRawPointer?
        var bucket: BucketReader?
        var entries = (0, 0)
    }

    /// The counts of `digests`, each as ``count(of:)`` gives it, written to `counts`
    /// (at least as long).
    ///
    /// A lookup is a chain of dependent memory reads (table entry, bucket header and slot
    /// marks, slot bits, record), each a cache miss at random; one at a time, a core waits
    /// on every one. Here the queries go through the chain as a pipeline, so that the
    /// misses of many queries overlap. A batch of at least `prefixOrderMinimum` queries is
    /// first sorted by prefix: then the table is read from start to end, queries of one
    /// bucket share its lines, and successive queries fall in the same 2 MiB page of the
    /// index. The sort takes 48 bytes of scratch memory a query, at most 48 MiB a call
    /// (in parts of `prefixOrderMaximum`), the only memory a lookup allocates; without it
    /// the batch is looked up unsorted.
    public func counts(of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>) {
        precondition(counts.count >= digests.count, "one count per digest")
        if digests.count < Self.prefixOrderMinimum {
            unsortedCounts(of: digests, into: counts)
        } else if digests.count <= Self.prefixOrderMaximum {
            countsSortingByPrefix(of: digests, into: counts)
        } else {
            for first in stride(from: 0, to: digests.count, by: Self.prefixOrderMaximum) {
                let part = first..<min(first + Self.prefixOrderMaximum, digests.count)
                self.counts(
                    of: UnsafeBufferPointer(rebasing: digests[part]),
                    into: UnsafeMutableBufferPointer(rebasing: counts[part]))
            }
        }
    }

    /// The counts of `digests`, in order (``counts(of:into:)``).
    public func counts(of digests: [HashDigest]) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: digests.count) { counts, initialized in
            digests.withUnsafeBufferPointer { self.counts(of: $0, into: counts) }
            initialized = digests.count
        }
    }

    /// ``counts(of:into:)`` for a batch sorted by prefix first.
    private func countsSortingByPrefix(
        of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>
    ) {
        // Scratch: the queries with their places twice (the sort's two passes, the sorted
        // queries in the second half); then the counts in sorted order, where the first
        // pass was.
        let n = digests.count
        assert(MemoryLayout<PrefixOrderedQuery>.stride >= MemoryLayout<UInt64>.stride)
        guard let memory = allocateOnHugePages(byteCount: 2 * n * MemoryLayout<PrefixOrderedQuery>.stride) else {
            return unsortedCounts(of: digests, into: counts)
        }
        defer { free(memory) }
        let sorted = sortedByPrefix(
            digests,
            scratch: UnsafeMutableBufferPointer(
                start: memory.bindMemory(to: PrefixOrderedQuery.self, capacity: 2 * n), count: 2 * n))
        let sortedCounts = memory.bindMemory(to: UInt64.self, capacity: n)
        // The counts go to their places in a loop of their own: written straight to their
        // places, each random write took a line-fill buffer from the lookups.
        pipelinedCounts(of: sorted.lazy.map(\.digest)) { sortedCounts[$0] = $1 }
        for (at, query) in sorted.enumerated() { counts[Int(query.origin)] = sortedCounts[at] }
    }

    /// ``counts(of:into:)`` in the batch's own order.
    private func unsortedCounts(
        of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>
    ) {
        pipelinedCounts(of: digests) { counts[$0] = $1 }
    }

    /// Looks up `queries` as a pipeline, `batchDistance` queries apart, and calls `answer`
    /// with each query's index in `queries` and its count, in order: the table entry of
    /// query i is requested while the header of i − d, the slot bits of i − 2d and the
    /// records of i − 3d are, and the answer of i − 4d is read. Each stage asks only for the
    /// lines the next one reads (the slot bits from the nearest mark to the query's slot,
    /// the records of its slot), so that few lines are in flight for each query.
    ///
    /// Generic and always inlined, so that each caller gets a loop of its own with
    /// `queries` and `answer` specialized and inlined.
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
                let answered = step - 4 * distance
                if answered >= 0 {
                    answer(
                        answered,
                        ring[answered & mask].bucket?.count(
                            of: queries[answered], amongEntries: ring[answered & mask].entries) ?? 0)
                }
            }
        }
    }
}
