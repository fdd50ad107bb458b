import BreachHash
import Foundation

/// The outcome of checking an index end to end.
public struct IndexVerification: Sendable {
    /// What is wrong, one line each (the first few; `problemCount` has them all).
    public var problems: [String] = []
    public var problemCount = 0
    public var bucketsChecked = 0
    public var hashesChecked: UInt64 = 0
    public var isIntact: Bool { problemCount == 0 }

    mutating func report(_ problem: String) {
        problemCount += 1
        if problems.count < 20 { problems.append(problem) }
    }
}

extension BreachIndex {
    /// Recomputes every chunk checksum, decodes every bucket (layout, order, counts,
    /// escapes) as LMDB stores it and compares the totals with the metadata.
    public func verify() -> IndexVerification {
        var result = IndexVerification()
        var checksums = ChunkChecksums()
        var countSum: UInt64 = 0
        do {
            try forEachStoredBucket { prefix, value in
                checksums.add(prefix: prefix, value: value)
                result.bucketsChecked += 1
                checkBucket(prefix: prefix, value: value, result: &result, countSum: &countSum)
            }
        } catch {
            result.report("the bucket database cannot be read: \(error)")
        }
        let computed = checksums.finish()
        for chunk in 0..<ChunkChecksums.chunkCount where computed[chunk] != storedChecksums[chunk] {
            result.report(Self.checksumMismatch(inChunk: chunk))
        }
        if result.hashesChecked != metadata.hashCount {
            result.report("the metadata counts \(metadata.hashCount) hashes, the buckets hold \(result.hashesChecked)")
        }
        if countSum != metadata.countSum {
            result.report("the metadata sums counts to \(metadata.countSum), the buckets to \(countSum)")
        }
        if result.bucketsChecked != metadata.bucketCount {
            result.report(
                "the metadata counts \(metadata.bucketCount) buckets, the file holds \(result.bucketsChecked)")
        }
        return result
    }

    private func checkBucket(
        prefix: Int, value: UnsafeRawBufferPointer, result: inout IndexVerification, countSum: inout UInt64
    ) {
        let name = BreachIndex.rangePrefixText(prefix)
        guard let bucket = BucketReader(value, shape: bucketShape) else {
            result.report("bucket \(name): its header does not match its length")
            return
        }
        if table.start(ofBucket: prefix) != value.baseAddress {
            result.report("bucket \(name): the lookup table does not point at it")
        }
        var previous: HashDigest?
        var entries = 0, outOfOrder = false, missingCount = false
        bucket.forEach(prefix: prefix) { entry in
            entries += 1
            if let previous, !(previous < entry.digest) { outOfOrder = true }
            if entry.count == 0 { missingCount = true }
            countSum = HashCount.sum(countSum, entry.count)
            previous = entry.digest
        }
        // One line per kind of damage and bucket: one bad bit can disorder thousands.
        if outOfOrder { result.report("bucket \(name): hashes out of order") }
        if missingCount { result.report("bucket \(name): an escaped count is missing") }
        if entries != bucket.layout.entryCount {
            result.report("bucket \(name): holds \(entries) hashes, its header says \(bucket.layout.entryCount)")
        }
        if !bucket.escapesAreConsistent {
            result.report("bucket \(name): escaped counts do not match their records")
        }
        if !bucket.slotMarksAreConsistent {
            result.report("bucket \(name): slot marks do not match its slot bits")
        }
        result.hashesChecked += UInt64(entries)
    }
}

extension BucketReader {
    /// Each slot mark names the bit where its slot begins.
    var slotMarksAreConsistent: Bool {
        var bit = 0
        for mark in 0..<layout.markCount {
            bit = bitAfter(zeros: BucketLayout.slotsPerMark, from: bit)
            let stored = bytes.littleEndianInteger(
                at: layout.marksOffset + mark * layout.markWidth, width: layout.markWidth)
            if stored != UInt64(bit) { return false }
        }
        return true
    }

    /// Escape indices ascend, lie inside the bucket, and name exactly the records
    /// whose count code is the escape code.
    var escapesAreConsistent: Bool {
        var escapedRecords = 0
        let width = layout.recordBits + layout.countBits
        for index in 0..<layout.entryCount {
            let code = bytes.field(
                at: layout.recordsOffset * 8 + index * width + layout.recordBits, bitCount: layout.countBits)
            if code == layout.escapeCode { escapedRecords += 1 }
        }
        guard escapedRecords == layout.escapeCount else { return false }
        var previous = -1
        for i in 0..<layout.escapeCount {
            let at = Int(
                bytes.littleEndianInteger(
                    at: layout.escapeIndicesOffset + i * layout.indexWidth, width: layout.indexWidth))
            if at <= previous || at >= layout.entryCount { return false }
            previous = at
        }
        return true
    }
}

extension BreachIndex {
    /// The stored bytes of one bucket (empty when the prefix has no hashes): for tools
    /// and tests that inspect or damage the file on purpose.
    public func storedBucket(prefix: Int) -> [UInt8] {
        guard let bucket = bucket(prefix) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bucket.bytes.base, count: bucket.bytes.count))
    }
}
