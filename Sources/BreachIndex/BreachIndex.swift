import BreachHash
import BreachSupport
import CMemoryHints
import Foundation
import LMDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An open, read-only index: the in-process lookup API.
///
/// Opening walks the buckets once and records where each starts in the memory map
/// (``BucketTable``), valid for the life of one LMDB read transaction held open until
/// the index is released. A lookup is then a table read plus a probe of the bucket in
/// place — no `mdb_get` B-tree walk, no lock, no allocation — so any number of threads
/// can look up at once without blocking each other.
public final class BreachIndex: @unchecked Sendable {
    public let path: String
    public let metadata: IndexMetadata
    public var kind: HashKind { metadata.hashKind }
    /// Whole hashes or their first 64 bits (``IndexFormat``).
    public let format: IndexFormat
    /// How the file's buckets are coded: the hash bits each keeps, slot marks or not.
    @usableFromInline let bucketShape: BucketShape

    private let environment: Environment
    let transaction: Transaction
    /// Serialises use of `transaction` (lookups never use it; verification and validators do).
    let transactionLock = Mutex(())
    let bucketsDatabase: Transaction.Database
    /// Range validators (ETags) of a downloaded index; `nil` in an ingested one.
    let validatorsDatabase: Transaction.Database?
    @usableFromInline let table: BucketTable
    let storedChecksums: [UInt64]
    let contentTags = PrefixMemo()
    /// CRC-32s of unpadded range texts, recorded by their writers (`rangeTextCRC32(prefix:)`).
    let rangeTextCRC32s = PrefixMemo()

    /// Opens the index at `path` for reading. With `hugePages`, an index that fits in half
    /// of memory is mapped with 2 MiB pages where the file's pages are not cached yet: random
    /// lookups miss the TLB far less, but a cold open reads the whole file, so it is for
    /// long-lived readers that look up at random (the daemon, benchmarks), not for a
    /// command that opens an index to answer once.
    public init(path: String, hugePages: Bool = false) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw IndexError.missing(path: path) }
        let fileSize = Int(BreachSupport.fileSize(atPath: path) ?? 0)
        let fitsInMemory = fileSize <= Self.memoryLimit / 2
        self.path = path
        do {
            // No lock file: an index is never written in place (new ones are renamed
            // over it), so readers need no coordination, and read-only mounts work.
            var flags: Environment.Flags = [.noSubdirectory, .readOnly, .noLock, .noThreadLocalStorage]
            if !fitsInMemory { flags.insert(.noReadAhead) }
            environment = try Environment(
                path: path, flags: flags,
                mapSize: max(fileSize, 1 << 20), maxDatabases: IndexLayout.databaseCount)
            try environment.requireWhole(fileSize: fileSize)
            // Before anything is read through the map (the table's fill reads every block's
            // lengths): a 2 MiB range any page of which is cached in a small folio is never
            // mapped with a 2 MiB page.
            if hugePages && fitsInMemory { Self.adviseHugePages(environment) }
            transaction = try environment.readTransaction()
        } catch let error as LMDBError {
            throw error.isCorruption
                ? IndexError.notAnIndex(path: path, reason: "not an LMDB file") : IndexError.lmdb(error)
        }
        let meta: Transaction.Database
        do {
            meta = try transaction.database(named: IndexLayout.metaDatabase)
            bucketsDatabase = try transaction.database(named: IndexLayout.bucketsDatabase)
            validatorsDatabase = try? transaction.database(named: IndexLayout.validatorsDatabase)
        } catch {
            throw IndexError.notAnIndex(path: path, reason: "no BreachDB databases in it")
        }
        guard let metadataBytes = try? transaction.value(forKey: IndexLayout.metadataKey, in: meta),
            let metadata = try? IndexMetadata.decode(metadataBytes)
        else {
            throw IndexError.notAnIndex(path: path, reason: "no readable metadata")
        }
        guard let format = metadata.format else {
            throw IndexError.unsupportedFormat(path: path, version: metadata.formatVersion)
        }
        guard let checksumBytes = try? transaction.value(forKey: IndexLayout.checksumsKey, in: meta),
            let checksums = ChunkChecksums.decode(checksumBytes)
        else {
            throw IndexError.corrupt(path: path, detail: "the checksum record is missing or malformed")
        }
        self.metadata = metadata
        self.format = format
        self.bucketShape = BucketShape(kind: metadata.hashKind, formatVersion: metadata.formatVersion)
        self.storedChecksums = checksums

        table = BucketTable()
        do {
            try table.fill(from: transaction, database: bucketsDatabase, path: path)
        } catch let error as LMDBError {
            throw IndexError.corrupt(path: path, detail: error.description)
        }
        let bucketCount = table.bucketCount
        guard bucketCount == metadata.bucketCount else {
            throw IndexError.corrupt(
                path: path, detail: "the metadata counts \(metadata.bucketCount) buckets, the file holds \(bucketCount)"
            )
        }
    }

    deinit { transaction.abort() }

    /// The memory this process's page cache can hold: physical memory, or its cgroup's
    /// limit when lower (mapped file pages count against a container's limit).
    ///
    /// An index of at most half of it can stay cached: a lookup then hits memory, and
    /// 2 MiB pages make it cheaper. A larger index is read from disk a random page at a
    /// time, so it gets no read-ahead at all (LMDB's `MDB_NORDAHEAD`, i.e. `MADV_RANDOM`)
    /// and no huge pages: with `MADV_HUGEPAGE` every cold fault reads a whole 2 MiB folio
    /// (docs/benchmarks.md, "Two billion hashes", has what that cost).
    static let memoryLimit: Int = {
        #if os(Linux)
            let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
            // cgroup v2, then v1; "max" (v2) or a huge number (v1) means no limit.
            let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap {
                path in
                (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                    Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            return ([physical > 0 ? physical : Int.max] + limits).min()!
        #else
            return Int.max
        #endif
    }()

    /// Asks for the file's map to use 2 MiB pages where the page cache holds large
    /// folios (Linux 6.x fills them on faults in such a map, for the file's pages not cached
    /// yet; the writer drops its own). A lookup touches a random page of a file far larger
    /// than the TLB covers, and a dependent random read through 2 MiB pages misses the TLB
    /// far less often (docs/benchmarks.md: 319–334 ns a lookup against 399–451 on 4 KiB pages).
    private static func adviseHugePages(_ environment: Environment) {
        #if os(Linux)
            environment.advise(MADV_HUGEPAGE)
        #endif
    }

    /// How many times `digest` was seen; 0 when it is not in the index. A compact index
    /// answers for the hash's first 64 bits: a hash not in it reads as present with
    /// probability ``IndexMetadata/falsePositiveProbability``.
    @inlinable public func count(of digest: HashDigest) -> UInt64 {
        guard let start = table.start(ofBucket: digest.prefix) else { return 0 }
        Self.prefetchBucketHead(start)
        return bucket(at: start)?.count(of: digest) ?? 0
    }

    /// The header, the slot bits and the matching record lie in different cache lines:
    /// asks for the first ones all at once instead of missing on each in turn (large
    /// buckets prefetch their record once the header is read).
    @inlinable static func prefetchBucketHead(_ start: UnsafeRawPointer) {
        for offset in stride(from: 0, to: 512, by: 64) { breachdb_prefetch(start + offset) }
    }

    /// How many times `password` was seen (hashed with the index's hash kind).
    public func count(ofPassword password: UnsafeRawBufferPointer) -> UInt64 {
        count(of: PasswordHasher.hash(password, kind: kind))
    }

    public func count(ofPassword password: String) -> UInt64 {
        var password = password
        return password.withUTF8 { count(ofPassword: UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with every hash of the 20-bit `prefix`, in ascending order.
    public func forEachEntry(withPrefix prefix: Int, _ body: (HashCount) throws -> Void) rethrows {
        precondition((0..<IndexLayout.prefixCount).contains(prefix), "a range prefix has 20 bits")
        try bucket(prefix)?.forEach(prefix: prefix, body)
    }

    /// Unmaps the pages read so far from this process (they stay in the page cache): a
    /// reader that walks the whole file once, as a refresh copying unchanged ranges does,
    /// calls it now and then so that its resident memory does not grow to the file's size.
    public func dropMappedPages() {
        environment.dropMappedPages()
    }

    /// `true` when the 20-bit `prefix` holds at least one hash.
    public func hasEntries(withPrefix prefix: Int) -> Bool {
        table.start(ofBucket: prefix) != nil
    }

    /// The hashes of the 20-bit `prefix`, in ascending order.
    public func entries(withPrefix prefix: Int) -> [HashCount] {
        var entries: [HashCount] = []
        forEachEntry(withPrefix: prefix) { entries.append($0) }
        return entries
    }

    /// Calls `body` with every hash in the index, in ascending order.
    public func forEachEntry(_ body: (HashCount) throws -> Void) rethrows {
        for prefix in 0..<IndexLayout.prefixCount { try forEachEntry(withPrefix: prefix, body) }
    }

    func bucket(_ prefix: Int) -> BucketReader? {
        table.start(ofBucket: prefix).flatMap(bucket(at:))
    }

    @inlinable func bucket(at start: UnsafeRawPointer) -> BucketReader? {
        BucketReader(start: start, available: table.bytesAvailable(from: start), shape: bucketShape)
    }

    /// Calls `body` with every bucket's prefix and exact stored bytes, read from LMDB's
    /// blocks (not through the lookup table).
    func forEachStoredBucket(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        try forEachStoredBucket(in: 0..<IndexLayout.prefixCount, body)
    }

    /// Calls `body` with the prefix and exact stored bytes of each bucket in `prefixes`.
    func forEachStoredBucket(in prefixes: Range<Int>, _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        // A read transaction serves one thread at a time (lookups never use it).
        try transactionLock.withLock { _ in
            try BucketBlock.forEach(in: transaction, database: bucketsDatabase, path: path, from: prefixes.lowerBound) {
                block in
                guard block.firstPrefix < prefixes.upperBound else { return false }
                // One read of the whole block (≈1 MiB) instead of a fault per page: the
                // map of a large index has read-ahead off (``memoryLimit``).
                block.willRead()
                try block.forEachBucket { prefix, bytes in
                    if prefixes.contains(prefix) { try body(prefix, bytes) }
                }
                return true
            }
        }
    }
}
