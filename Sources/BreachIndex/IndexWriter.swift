import BreachHash
import Foundation
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// Writes an index file from hashes given in ascending order.
///
/// The file is written with `MDB_APPEND` (pages filled completely, so its size reflects
/// its content) and without a lock file (the writer owns the file until it is
/// published). Nothing is durable until ``finish(sources:)`` syncs it: callers write
/// to a temporary path and publish with ``IndexDestination``.
public final class IndexWriter {
    public let kind: HashKind
    public let path: String
    public let minimumCount: UInt64
    private let environment: Environment
    private var transaction: Transaction
    private let buckets: Transaction.Database
    private let encoder: BucketEncoder
    private var bucket: [HashCount] = []
    private var bucketPrefix = -1
    private var last: HashDigest?
    private var encoded: [UInt8] = []
    private var block = BucketBlockBuilder()
    private var checksums = ChunkChecksums()
    private var bytesSinceCommit = 0

    /// Receives, in ascending order, each hash left out for being under the minimum count.
    public var onBelowMinimum: ((HashCount) throws -> Void)?

    public private(set) var hashCount: UInt64 = 0
    public private(set) var countSum: UInt64 = 0
    public private(set) var bucketCount = 0
    /// Hashes left out for being under the minimum count.
    public private(set) var belowMinimumCount: UInt64 = 0

    /// Virtual address space reserved for the map while writing. Without
    /// `MDB_WRITEMAP` LMDB does not grow the file to it, so it costs nothing on disk;
    /// 4 TiB holds any dump (the full Pwned Passwords set is ≈ 36 GB here).
    static let mapSize = 1 << 42
    /// Committing every so many bytes bounds LMDB's dirty-page memory (they are held
    /// in memory until commit without `MDB_WRITEMAP`).
    static let bytesPerCommit = 64 << 20

    /// `true` when some hashes may be left out for being under the minimum count.
    public var minimumCountIsFiltering: Bool { minimumCount > 1 }

    /// Creates (or truncates) the index file at `path`.
    public init(path: String, kind: HashKind, minimumCount: UInt64 = 1) throws {
        for stale in [path, path + "-lock"] where FileManager.default.fileExists(atPath: stale) {
            try FileManager.default.removeItem(atPath: stale)
        }
        self.kind = kind
        self.path = path
        self.minimumCount = max(1, minimumCount)
        self.encoder = BucketEncoder(kind: kind)
        (environment, transaction, buckets) = try mappingLMDBErrors {
            let environment = try Environment(path: path, flags: [.noSubdirectory, .noLock, .noSync],
                                              mapSize: Self.mapSize, maxDatabases: 2)
            let transaction = try environment.writeTransaction()
            return (environment, transaction, try transaction.database(named: IndexLayout.bucketsDatabase, create: true))
        }
    }

    /// Adds one hash. Hashes must come in strictly ascending order; counts of a hash
    /// seen several times must already be summed.
    public func append(_ entry: HashCount) throws {
        if let last, !(last < entry.digest) { throw IndexError.outOfOrder(path: path) }
        last = entry.digest
        if entry.digest.prefix != bucketPrefix {
            try flushBucket()
            bucketPrefix = entry.digest.prefix
        }
        if entry.count >= minimumCount {
            bucket.append(entry)
        } else {
            belowMinimumCount += 1
            try onBelowMinimum?(entry)
        }
    }

    private func flushBucket() throws {
        guard !bucket.isEmpty else { return }
        bucket.withUnsafeBufferPointer { encoder.encode($0, into: &encoded) }
        var key = IndexLayout.key(forPrefix: bucketPrefix)
        withUnsafeBytes(of: &key) { keyBytes in
            encoded.withUnsafeBytes { checksums.add(prefix: bucketPrefix, key: UnsafeRawBufferPointer(rebasing: keyBytes[0..<3]), value: $0) }
        }
        if !block.accepts(prefix: bucketPrefix) { try flushBlock() }
        block.append(prefix: bucketPrefix, bucket: encoded)
        hashCount += UInt64(bucket.count)
        for entry in bucket { countSum &+= entry.count }
        bucketCount += 1
        bucket.removeAll(keepingCapacity: true)
    }

    private func flushBlock() throws {
        guard !block.isEmpty else { return }
        var key = IndexLayout.key(forPrefix: block.firstPrefix)
        let value = block.take()
        try withUnsafeBytes(of: &key) { keyBytes in
            try value.withUnsafeBytes { value in
                try mappingLMDBErrors { try transaction.put(value, forKey: UnsafeRawBufferPointer(rebasing: keyBytes[0..<3]), in: buckets, flags: .append) }
            }
        }
        bytesSinceCommit += value.count
        if bytesSinceCommit >= Self.bytesPerCommit {
            try mappingLMDBErrors {
                try transaction.commit()
                transaction = try environment.writeTransaction()
            }
            bytesSinceCommit = 0
        }
    }

    /// Writes the last bucket, the checksums and the metadata, commits and syncs the
    /// file to disk, and returns the metadata written.
    public func finish(sources: [IndexMetadata.Source]) throws -> IndexMetadata {
        try flushBucket()
        try flushBlock()
        let metadata = IndexMetadata(hashKind: kind, hashCount: hashCount, countSum: countSum,
                                     bucketCount: bucketCount, minimumCount: minimumCount, sources: sources)
        let checksumBytes = ChunkChecksums.encode(checksums.finish())
        try mappingLMDBErrors {
            let meta = try transaction.database(named: IndexLayout.metaDatabase, create: true)
            try transaction.put(try metadata.encoded(), forKey: IndexLayout.metadataKey, in: meta)
            try transaction.put(checksumBytes, forKey: IndexLayout.checksumsKey, in: meta)
            try transaction.commit()
            try environment.sync(force: true)
        }
        Self.dropCachedPages(path)
        return metadata
    }
}

extension IndexWriter {
    /// Drops the written file's pages from the page cache once they are on disk. The
    /// writer's pages are 4 KiB ones; readers that fault the file in afresh through
    /// a `MADV_HUGEPAGE` map get 2 MiB folios, which halve TLB misses on lookups
    /// (see `BreachIndex.adviseHugePages`).
    static func dropCachedPages(_ path: String) {
        #if os(Linux)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
        #endif
    }
}

/// Names and keys inside the LMDB file.
enum IndexLayout {
    static let bucketsDatabase = "buckets"
    static let metaDatabase = "meta"
    static let metadataKey = "metadata"
    static let checksumsKey = "checksums"
    static let prefixCount = 1 << 20

    /// A block's key: its first 20-bit prefix as 3 big-endian bytes, so that LMDB's
    /// byte order is prefix order.
    static func key(forPrefix prefix: Int) -> (UInt8, UInt8, UInt8) {
        (UInt8(truncatingIfNeeded: prefix >> 16), UInt8(truncatingIfNeeded: prefix >> 8), UInt8(truncatingIfNeeded: prefix))
    }

    static func prefix(ofKey key: UnsafeRawBufferPointer) -> Int? {
        guard key.count == 3 else { return nil }
        let prefix = Int(key[0]) << 16 | Int(key[1]) << 8 | Int(key[2])
        return prefix < prefixCount ? prefix : nil
    }
}
