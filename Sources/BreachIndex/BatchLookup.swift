import BreachHash
import CMemoryHints

extension BreachIndex {
    /// How many queries apart the stages of a batch lookup run: enough queries in flight
    /// to keep the core's line-fill buffers busy (each stage issues one to six loads that
    /// miss), few enough that their lines stay in L1 until used (docs/benchmarks.md).
    static let batchDistance = 8

    /// A query's progress through the stages of ``counts(of:into:)``.
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
    /// on every one. Here the queries go through the chain as a pipeline, `batchDistance`
    /// queries apart: the table entry of query i is requested while the header of i − d,
    /// the slot bits of i − 2d and the records of i − 3d are, and the answer of i − 4d is
    /// read, so the misses of many queries overlap. Each stage asks only for the lines the
    /// next one reads (the slot bits from the nearest mark to the query's slot, the records
    /// of its slot), so that few lines are in flight for each query.
    public func counts(of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>) {
        precondition(counts.count >= digests.count, "one count per digest")
        let n = digests.count, distance = Self.batchDistance
        // A query's entry is written at its header stage and read three stages later: a
        // ring of 4·distance entries (a power of two, for the mask) is never overwritten early.
        let ringSize = 4 * distance, mask = ringSize - 1
        assert(ringSize & mask == 0, "the ring's size must be a power of two")
        withUnsafeTemporaryAllocation(of: BatchQuery.self, capacity: ringSize) { queries in
            for step in 0..<(n + 4 * distance) {
                if step < n { table.prefetchEntry(ofBucket: digests[step].prefix) }
                let header = step - distance
                if header >= 0 && header < n {
                    let start = table.start(ofBucket: digests[header].prefix)
                    if let start { breachdb_prefetch(start) }
                    (queries.baseAddress! + (header & mask)).initialize(to: BatchQuery(start: start))
                }
                // The later stages use each query's entry in place: a bucket reader is large
                // enough that copies of it were a third of a batch's work when cached.
                let slots = step - 2 * distance
                if slots >= 0 && slots < n, let start = queries[slots & mask].start {
                    queries[slots & mask].bucket = bucket(at: start)
                    queries[slots & mask].bucket?.prefetchSlotBits(for: digests[slots])
                }
                let records = step - 3 * distance
                if records >= 0 && records < n {
                    queries[records & mask].entries =
                        queries[records & mask].bucket?.entriesPrefetchingRecords(of: digests[records]) ?? (0, 0)
                }
                let answer = step - 4 * distance
                if answer >= 0 {
                    counts[answer] =
                        queries[answer & mask].bucket?.count(
                            of: digests[answer], amongEntries: queries[answer & mask].entries) ?? 0
                }
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
}
