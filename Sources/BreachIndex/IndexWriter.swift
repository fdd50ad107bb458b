import BreachHash
import BreachSupport
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
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
public final class IndexWriter {
    public let kind: HashKind
    public let format: IndexFormat
    /// The `formatVersion` written: the format's current one, except in tests of older files.
    let formatVersion: Int
    public let path: String
    public let minimumCount: UInt64
    private let environment: Environment
    @exclusivity(unchecked) private var transaction: Transaction
    private let buckets: Transaction.Database
    @exclusivity(unchecked) private var validators: Transaction.Database?
    private let encoder: BucketEncoder
    @exclusivity(unchecked) private var bucket: [HashCount] = []
    @exclusivity(unchecked) private var bucketPrefix = -1
    @exclusivity(unchecked) private var last: HashDigest?
    @exclusivity(unchecked) private var encoded: [UInt8] = []
    @exclusivity(unchecked) private var block = BucketBlockBuilder()
    @exclusivity(unchecked) private var checksums = ChunkChecksums()
    @exclusivity(unchecked) private var bytesSinceCommit = 0
    /// The prefix of the last bucket copied whole (``appendBucket(of:prefix:)``): no hash of it may follow.
    @exclusivity(unchecked) private var copiedPrefix = -1

    /// Receives, in ascending order, each hash left out for being under the minimum count.
    @exclusivity(unchecked) public var onBelowMinimum: ((HashCount) throws -> Void)?

    @exclusivity(unchecked) public private(set) var hashCount: UInt64 = 0
    @exclusivity(unchecked) public private(set) var countSum: UInt64 = 0
    @exclusivity(unchecked) public private(set) var bucketCount = 0
    /// Hashes left out for being under the minimum count.
    @exclusivity(unchecked) public private(set) var belowMinimumCount: UInt64 = 0

    /// Virtual address space reserved for the map while writing. Without
    /// `MDB_WRITEMAP` LMDB does not grow the file to it, so it costs nothing on disk;
    /// 4 TiB holds any dump (the full Pwned Passwords set is a small fraction of it).
    static let mapSize = 1 << 42
    /// Committing every so many bytes bounds LMDB's dirty-page memory (they are held
    /// in memory until commit without `MDB_WRITEMAP`).
    public static let bytesPerCommit = 64 << 20

    /// When `false`, nothing is committed before ``checkpoint(state:)`` or
    /// ``finish(sources:coveredPrefixes:)``, so that every commit is a consistent point to
    /// resume from; the caller then bounds memory by checkpointing (``uncommittedBytes``).
    @exclusivity(unchecked) public var commitsAutomatically = true

    /// Bucket bytes written since the last commit (the open block of at most about a MiB
    /// aside).
    public var uncommittedBytes: Int { bytesSinceCommit }

    /// `true` when some hashes may be left out for being under the minimum count.
    public var minimumCountIsFiltering: Bool { minimumCount > 1 }

    /// Creates (or truncates) the index file at `path`.
    public convenience init(path: String, kind: HashKind, format: IndexFormat = .full, minimumCount: UInt64 = 1) throws
    {
        try self.init(path: path, kind: kind, formatVersion: format.formatVersion, minimumCount: minimumCount)
    }

    /// A writer of `formatVersion`, of either format (tests write older versions).
    convenience init(path: String, kind: HashKind, formatVersion: Int, minimumCount: UInt64 = 1) throws {
        for stale in [path, path + "-lock"] where FileManager.default.fileExists(atPath: stale) {
            try FileManager.default.removeItem(atPath: stale)
        }
        try self.init(opening: path, kind: kind, formatVersion: formatVersion, minimumCount: minimumCount)
    }

    private init(opening path: String, kind: HashKind, formatVersion: Int, minimumCount: UInt64) throws {
        guard let format = IndexFormat(formatVersion: formatVersion) else {
            preconditionFailure("format version \(formatVersion) is not one this build writes")
        }
        self.kind = kind
        self.format = format
        self.formatVersion = formatVersion
        self.path = path
        self.minimumCount = max(1, minimumCount)
        self.encoder = BucketEncoder(shape: BucketShape(kind: kind, formatVersion: formatVersion))
        (environment, transaction, buckets) = try mappingLMDBErrors {
            let environment = try Environment(
                path: path, flags: [.noSubdirectory, .noLock, .noSync],
                mapSize: Self.mapSize, maxDatabases: IndexLayout.databaseCount)
            // A resumed file may be cut off; a new one is its two meta pages.
            try environment.requireWhole(
                fileSize: Int(BreachSupport.fileSize(atPath: path) ?? 0))
            let transaction = try environment.writeTransaction()
            return (
                environment, transaction, try transaction.database(named: IndexLayout.bucketsDatabase, create: true)
            )
        }
    }

    /// Adds one hash. Hashes must come in strictly ascending order; counts of a hash
    /// seen several times must already be summed.
    public func append(_ entry: HashCount) throws {
        if let last, !(last < entry.digest) { throw IndexError.outOfOrder(path: path) }
        last = entry.digest
        if entry.digest.prefix != bucketPrefix {
            if entry.digest.prefix == copiedPrefix { throw IndexError.outOfOrder(path: path) }
            try flushBucket()
            bucketPrefix = entry.digest.prefix
        }
        if entry.count >= minimumCount {
            let key = format.key(of: entry.digest)
            // Hashes arrive in order, so those sharing a key arrive together.
            if format == .compact, let previous = bucket.last, previous.digest == key {
                bucket[bucket.count - 1].count = HashCount.sum(bucket[bucket.count - 1].count, entry.count)
            } else {
                bucket.append(HashCount(digest: key, count: entry.count))
            }
        } else {
            belowMinimumCount += 1
            try onBelowMinimum?(entry)
        }
    }

    /// Adds the whole range `prefix` of `source` (nothing else of that prefix may be added):
    /// its bucket's bytes as stored when the two files code buckets alike (same kind and
    /// format version, every hash kept), which spares re-encoding it (a refresh copies most
    /// of the index this way); else hash by hash. The bytes are trusted: check the source's chunk
    /// checksum first (``BreachIndex/checksumProblem(inChunk:)``).
    public func appendBucket(of source: BreachIndex, prefix: Int) throws {
        guard let stored = source.bucket(prefix) else { return }
        guard source.kind == kind && source.metadata.formatVersion == formatVersion && minimumCount == 1 else {
            try stored.forEach(prefix: prefix) { try append($0) }
            return
        }
        var first: HashDigest?, lastInBucket: HashDigest?, sum: UInt64 = 0
        stored.forEach(prefix: prefix) { entry in
            if first == nil { first = entry.digest }
            lastInBucket = entry.digest
            sum = HashCount.sum(sum, entry.count)
        }
        guard let first, let lastInBucket else { return }
        // Hashes of the prefix appended before would make a second bucket of it.
        if let last, !(last < first) || last.prefix == prefix { throw IndexError.outOfOrder(path: path) }
        try flushBucket()
        let value = UnsafeRawBufferPointer(start: stored.bytes.base, count: stored.layout.byteCount)
        checksums.add(prefix: prefix, value: value)
        if !block.accepts(prefix: prefix) { try flushBlock() }
        block.append(prefix: prefix, bucket: Array(value))
        hashCount += UInt64(stored.layout.entryCount)
        countSum = HashCount.sum(countSum, sum)
        bucketCount += 1
        last = lastInBucket
        copiedPrefix = prefix
        bucketPrefix = -1
    }

    private func flushBucket() throws {
        guard !bucket.isEmpty else { return }
        bucket.withUnsafeBufferPointer { encoder.encode($0, into: &encoded) }
        encoded.withUnsafeBytes { checksums.add(prefix: bucketPrefix, value: $0) }
        if !block.accepts(prefix: bucketPrefix) { try flushBlock() }
        block.append(prefix: bucketPrefix, bucket: encoded)
        hashCount += UInt64(bucket.count)
        for entry in bucket { countSum = HashCount.sum(countSum, entry.count) }
        bucketCount += 1
        bucket.removeAll(keepingCapacity: true)
    }

    private func flushBlock() throws {
        guard !block.isEmpty else { return }
        var key = IndexLayout.key(forPrefix: block.firstPrefix)
        let value = block.take()
        try withUnsafeBytes(of: &key) { keyBytes in
            try value.withUnsafeBytes { value in
                try mappingLMDBErrors {
                    try transaction.put(
                        value, forKey: UnsafeRawBufferPointer(rebasing: keyBytes[0..<3]), in: buckets, flags: .append)
                }
            }
        }
        bytesSinceCommit += value.count
        if commitsAutomatically && bytesSinceCommit >= Self.bytesPerCommit {
            try mappingLMDBErrors {
                try transaction.commit()
                transaction = try environment.writeTransaction()
            }
            bytesSinceCommit = 0
        }
    }

    /// Records `validator` (the ETag a server sent for the range) for `prefix`.
    public func setValidator(_ validator: String, forPrefix prefix: Int) throws {
        var key = IndexLayout.key(forPrefix: prefix)
        try mappingLMDBErrors {
            let database = try validators ?? transaction.database(named: IndexLayout.validatorsDatabase, create: true)
            validators = database
            try withUnsafeBytes(of: &key) { keyBytes in
                try Array(validator.utf8).withUnsafeBytes { value in
                    try transaction.put(value, forKey: UnsafeRawBufferPointer(rebasing: keyBytes[0..<3]), in: database)
                }
            }
        }
    }

    /// The writer's counters and the caller's own state, stored with each checkpoint.
    private struct Checkpoint: Codable {
        var hashCount: UInt64
        var countSum: UInt64
        var bucketCount: Int
        var belowMinimumCount: UInt64
        /// The last hash appended, in hex.
        var last: String?
        var state: Data
    }

    /// Writes every complete bucket appended so far and commits it together with `state`
    /// (the caller's record of where it stands), synced to disk: after a crash, even
    /// `kill -9`, ``resume(path:kind:)`` reopens the file exactly here. Call it between
    /// prefixes: a prefix must not be continued after a checkpoint.
    public func checkpoint(state: [UInt8]) throws {
        try flushBucket()
        try flushBlock()
        let record = Checkpoint(
            hashCount: hashCount, countSum: countSum, bucketCount: bucketCount,
            belowMinimumCount: belowMinimumCount, last: last.map { Hex.string($0, kind: kind) }, state: Data(state))
        let bytes = Array(try JSONEncoder().encode(record))
        try mappingLMDBErrors {
            let meta = try transaction.database(named: IndexLayout.metaDatabase, create: true)
            try transaction.put(bytes, forKey: IndexLayout.checkpointKey(formatVersion: formatVersion), in: meta)
            try environment.withDurableCommits { try transaction.commit() }
            transaction = try environment.writeTransaction()
            // Else every checkpoint leaves the pages LMDB read resident, unbounded; best
            // effort: the checkpoint itself is safe on disk by now.
            environment.dropMappedPages()
        }
        bytesSinceCommit = 0
    }

    /// Reopens the file an interrupted writer left at its last checkpoint, with the state
    /// stored there; `nil` when there is no file, no checkpoint in it (a writer killed
    /// before its first), or `accepting` refuses the state (another caller's partial file),
    /// which the caller may then overwrite. Throws when the file is there but cannot be
    /// trusted (not LMDB, cut off, a checkpoint that does not decode) or read: such a file
    /// is left alone. The writer keeps every hash (minimum count 1), as resumable writers do;
    /// `format` is the one the interrupted writer wrote (the caller's state says which).
    public static func resume(
        path: String, kind: HashKind, format: IndexFormat = .full, accepting: ([UInt8]) -> Bool = { _ in true }
    ) throws -> (writer: IndexWriter, state: [UInt8])? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let writer: IndexWriter
        do {
            writer = try IndexWriter(opening: path, kind: kind, formatVersion: format.formatVersion, minimumCount: 1)
        } catch IndexError.lmdb(let error) where error.isCorruption {
            throw IndexError.notAnIndex(path: path, reason: "not an LMDB file")
        }
        let stored = try mappingLMDBErrors { () -> [UInt8]? in
            let meta: Transaction.Database
            do {
                meta = try writer.transaction.database(named: IndexLayout.metaDatabase)
            } catch let error as LMDBError where error.isNotFound {
                return nil  // no meta database yet: stopped before its first checkpoint
            }
            return try writer.transaction.value(
                forKey: IndexLayout.checkpointKey(formatVersion: writer.formatVersion), in: meta
            ).map(Array.init)
        }
        guard let stored else { return nil }
        guard let record = try? JSONDecoder().decode(Checkpoint.self, from: Data(stored)) else {
            throw IndexError.corrupt(path: path, detail: "its checkpoint record does not decode")
        }
        guard accepting(Array(record.state)) else { return nil }
        if let last = record.last {
            guard let digest = Hex.digest(last, kind: kind) else {
                throw IndexError.corrupt(
                    path: path, detail: "its checkpoint names no \(kind.rawValue) hash as the last written")
            }
            writer.last = digest
        }
        writer.hashCount = record.hashCount
        writer.countSum = record.countSum
        writer.bucketCount = record.bucketCount
        writer.belowMinimumCount = record.belowMinimumCount
        // The checksum of the chunk in progress is recomputed from the buckets stored,
        // which cost one read of the file so far rather than a format for hash states.
        try mappingLMDBErrors {
            try BucketBlock.forEach(in: writer.transaction, database: writer.buckets, path: path) { block in
                block.forEachBucket { prefix, value in writer.checksums.add(prefix: prefix, value: value) }
            }
        }
        return (writer, Array(record.state))
    }

    /// Writes the last bucket, the checksums and the metadata, commits and syncs the
    /// file to disk, and returns the metadata written.
    public func finish(sources: [IndexMetadata.Source], coveredPrefixes: PrefixRange? = nil) throws -> IndexMetadata {
        try flushBucket()
        try flushBlock()
        let values = checksums.finish()
        var metadata = IndexMetadata(
            format: format, hashKind: kind, hashCount: hashCount, countSum: countSum,
            bucketCount: bucketCount, minimumCount: minimumCount, sources: sources,
            coveredPrefixes: coveredPrefixes, contentDigest: ChunkChecksums.digest(values))
        metadata.formatVersion = formatVersion
        try mappingLMDBErrors {
            let meta = try transaction.database(named: IndexLayout.metaDatabase, create: true)
            try transaction.put(try metadata.encoded(), forKey: IndexLayout.metadataKey, in: meta)
            try transaction.put(ChunkChecksums.encode(values), forKey: IndexLayout.checksumsKey, in: meta)
            try transaction.removeValue(forKey: IndexLayout.checkpointKey(formatVersion: formatVersion), in: meta)
            try environment.withDurableCommits { try transaction.commit() }
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
