import LMDB

#if canImport(Glibc)
    import Glibc
#endif

/// The buckets of a run of consecutive prefixes, stored as one LMDB value under the
/// first prefix's key (layout in `docs/index-format.md`):
///
///     u16     G                 prefixes in the block (1…4096, all in one chunk)
///     u8      b                 bytes of each bucket length (1…8)
///     G × b   lengths           each prefix's bucket length, LE (0: no hashes)
///     …       buckets           in prefix order
///
/// One value per bucket cost LMDB's node header, key and page slack on each: 1.5
/// bytes a hash at 19 hashes a prefix. A block pays them once for about a MiB of
/// buckets, and its lengths let the reader find every bucket without decoding any.
struct BucketBlock {
    static let headerBytes = 3

    let firstPrefix: Int
    let prefixCount: Int
    private let value: UnsafeRawBufferPointer
    private let lengthWidth: Int

    /// Checks the header and that the lengths add up to the value; `path` names the file in errors.
    init(firstPrefix: Int, value: UnsafeRawBufferPointer, path: String) throws {
        func damaged(_ detail: String) -> IndexError {
            .corrupt(path: path, detail: "the block of prefix \(BreachIndex.rangePrefixText(firstPrefix)) \(detail)")
        }
        guard value.count >= Self.headerBytes else { throw damaged("is shorter than its header") }
        prefixCount = Int(value[0]) | Int(value[1]) << 8
        lengthWidth = Int(value[2])
        guard prefixCount >= 1, (1...8).contains(lengthWidth),
            (firstPrefix + prefixCount - 1) / ChunkChecksums.prefixesPerChunk == firstPrefix
                / ChunkChecksums.prefixesPerChunk
        else {
            throw damaged("has a malformed header")
        }
        self.firstPrefix = firstPrefix
        self.value = value
        let bucketsOffset = Self.headerBytes + prefixCount * lengthWidth
        guard bucketsOffset <= value.count else { throw damaged("is shorter than its bucket lengths") }
        var total = 0
        for i in 0..<prefixCount {
            let (sum, overflow) = total.addingReportingOverflow(length(at: i))
            guard !overflow else { throw damaged("has bucket lengths that do not match its size") }
            total = sum
        }
        guard total == value.count - bucketsOffset else {
            throw damaged("has bucket lengths that do not match its size")
        }
    }

    private func length(at i: Int) -> Int {
        let at = Self.headerBytes + i * lengthWidth
        var length: UInt64 = 0
        for byte in (0..<lengthWidth).reversed() { length = length << 8 | UInt64(value[at + byte]) }
        return Int(truncatingIfNeeded: length)
    }

    /// Asks the kernel to read the whole block into the page cache now, in one go.
    func willRead() {
        #if os(Linux)
            let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
            let start = UInt(bitPattern: value.baseAddress) & ~(page - 1)
            let end = UInt(bitPattern: value.baseAddress) + UInt(value.count)
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_WILLNEED)
        #endif
    }

    /// Calls `body` with the prefix and stored bytes of every non-empty bucket, in order.
    func forEachBucket(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var offset = Self.headerBytes + prefixCount * lengthWidth
        for i in 0..<prefixCount {
            let length = length(at: i)
            if length > 0 {
                try body(firstPrefix + i, UnsafeRawBufferPointer(rebasing: value[offset..<(offset + length)]))
            }
            offset += length
        }
    }

    /// Calls `body` with every block of `database`, in prefix order, after checking that
    /// keys are prefixes and that no two blocks overlap.
    static func forEach(
        in transaction: Transaction, database: Transaction.Database, path: String,
        _ body: (BucketBlock) throws -> Void
    ) throws {
        try forEach(in: transaction, database: database, path: path, from: 0) { block in
            try body(block)
            return true
        }
    }

    /// Calls `body` with each block from the first that starts at `first` or later
    /// (blocks never span two chunks, so a chunk's first block is found this way), until
    /// `body` returns `false`.
    static func forEach(
        in transaction: Transaction, database: Transaction.Database, path: String,
        from first: Int, while body: (BucketBlock) throws -> Bool
    ) throws {
        var end = first
        var firstKey = IndexLayout.key(forPrefix: first)
        try withUnsafeBytes(of: &firstKey) { firstKey in
            try transaction.forEach(in: database, from: UnsafeRawBufferPointer(rebasing: firstKey[0..<3])) {
                key, value in
                guard let prefix = IndexLayout.prefix(ofKey: key) else {
                    throw IndexError.corrupt(path: path, detail: "a block key is not a 20-bit prefix")
                }
                guard prefix >= end else {
                    throw IndexError.corrupt(
                        path: path,
                        detail: "the block of prefix \(BreachIndex.rangePrefixText(prefix)) overlaps the one before it")
                }
                let block = try BucketBlock(firstPrefix: prefix, value: value, path: path)
                end = prefix + block.prefixCount
                return try body(block)
            }
        }
    }
}

/// Collects encoded buckets into blocks while an index is written.
struct BucketBlockBuilder {
    /// Blocks close at about this size: LMDB rounds each up to whole pages (half a page
    /// lost on average, small beside a block), while the writer holds only this much.
    static let targetBytes = 1 << 20
    /// More empty prefixes than this in a row start a new block: each costs `b` bytes
    /// of length, a new block about 16 bytes of LMDB node.
    static let longestGap = 8

    private(set) var firstPrefix = -1
    private var lastPrefix = -1
    private var lengths: [Int] = []
    private var buckets: [UInt8] = []

    var isEmpty: Bool { lengths.isEmpty }

    /// `true` when the bucket of `prefix` (after every one added so far) may join this block.
    func accepts(prefix: Int) -> Bool {
        isEmpty
            || (prefix / ChunkChecksums.prefixesPerChunk == firstPrefix / ChunkChecksums.prefixesPerChunk
                && prefix - lastPrefix <= Self.longestGap + 1 && buckets.count < Self.targetBytes)
    }

    mutating func append(prefix: Int, bucket: [UInt8]) {
        if isEmpty {
            firstPrefix = prefix
        } else {
            lengths.append(contentsOf: repeatElement(0, count: prefix - lastPrefix - 1))
        }
        lastPrefix = prefix
        lengths.append(bucket.count)
        buckets.append(contentsOf: bucket)
    }

    /// The block's stored value; the builder is empty afterwards.
    mutating func take() -> [UInt8] {
        let largest = UInt64(lengths.max() ?? 0)
        let width = max(1, (64 - largest.leadingZeroBitCount + 7) / 8)
        var value: [UInt8] = []
        value.reserveCapacity(BucketBlock.headerBytes + lengths.count * width + buckets.count)
        value.append(UInt8(truncatingIfNeeded: lengths.count))
        value.append(UInt8(truncatingIfNeeded: lengths.count >> 8))
        value.append(UInt8(width))
        for length in lengths {
            for byte in 0..<width { value.append(UInt8(truncatingIfNeeded: length >> (8 * byte))) }
        }
        value.append(contentsOf: buckets)
        lengths.removeAll(keepingCapacity: true)
        buckets.removeAll(keepingCapacity: true)
        firstPrefix = -1
        lastPrefix = -1
        return value
    }
}
