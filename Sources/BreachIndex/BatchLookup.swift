import BreachHash

extension BreachIndex {
    /// How many queries apart the stages of a batch lookup run. Each query stage issues
    /// about ten loads that miss: a few queries in flight fill the core's line-fill
    /// buffers, more only queue behind them.
    static let batchDistance = 8

    /// The counts of `digests`, each as ``count(of:)`` gives it, written to `counts`
    /// (at least as long).
    ///
    /// A lookup is a chain of dependent memory reads (table entry, bucket head, record),
    /// each a cache miss at random; one at a time, a core waits on every one. Here the
    /// queries go through the chain as a pipeline, `batchDistance` queries apart: the table
    /// entry of query i is requested while the bucket head of i − d, the record of i − 2d
    /// and the answer of i − 3d are worked on, so the misses of many queries overlap.
    public func counts(of digests: UnsafeBufferPointer<HashDigest>, into counts: UnsafeMutableBufferPointer<UInt64>) {
        precondition(counts.count >= digests.count, "one count per digest")
        let n = digests.count, distance = Self.batchDistance
        // Bucket starts from the head stage to the answer stage: 2·distance apart.
        let ringSize = 4 * distance, mask = ringSize - 1
        withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: ringSize) { starts in
            for step in 0..<(n + 3 * distance) {
                if step < n { table.prefetchEntry(ofBucket: digests[step].prefix) }
                let head = step - distance
                if head >= 0 && head < n {
                    let start = table.start(ofBucket: digests[head].prefix)
                    if let start { Self.prefetchBucketHead(start) }
                    starts[head & mask] = start
                }
                let record = step - 2 * distance
                if record >= 0 && record < n, let start = starts[record & mask] {
                    bucket(at: start)?.prefetchRecord(of: digests[record])
                }
                let answer = step - 3 * distance
                if answer >= 0 {
                    counts[answer] = starts[answer & mask].flatMap(bucket(at:))?.count(of: digests[answer]) ?? 0
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
