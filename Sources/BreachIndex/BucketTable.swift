import CMemoryHints
import Glibc
import LMDB

/// Where each bucket starts in the memory map: 4 MiB for all 2^20 prefixes.
///
/// A lookup's first memory access is this table, its second the bucket. At 16 bytes
/// an entry (a pointer and a length) the table is 16 MiB and the random bucket traffic
/// evicts it from the CPU cache, so every lookup paid two full misses. Here an entry is
/// 4 bytes, an offset from its group of 256 prefixes (buckets are appended in prefix
/// order, so a group spans a few MiB at most), small enough to stay cached. A bucket's
/// length comes from its own header instead.
///
/// Filled once, then only read (by every lookup, from any thread): its stored properties
/// skip the runtime's exclusivity checks (`@exclusivity(unchecked)`), which lookups would
/// otherwise pay on each read.
@usableFromInline final class BucketTable {
    @usableFromInline static let groupBits = 8
    @usableFromInline static let absent = UInt32.max

    /// Each group's lowest bucket address.
    @usableFromInline let groupBases: UnsafeMutablePointer<UInt>
    @usableFromInline let offsets: UnsafeMutablePointer<UInt32>
    /// How many prefixes have a bucket.
    @exclusivity(unchecked) private(set) var bucketCount = 0
    /// The end of the map's buckets: a lookup never reads past it.
    @usableFromInline @exclusivity(unchecked) private(set) var dataEnd: UInt = 0

    init() {
        groupBases = .allocate(capacity: IndexLayout.prefixCount >> Self.groupBits)
        groupBases.initialize(repeating: 0, count: IndexLayout.prefixCount >> Self.groupBits)
        guard let memory = allocateOnHugePages(byteCount: IndexLayout.prefixCount * MemoryLayout<UInt32>.stride)
        else { preconditionFailure("out of memory for the bucket table") }
        offsets = memory.bindMemory(to: UInt32.self, capacity: IndexLayout.prefixCount)
        offsets.initialize(repeating: Self.absent, count: IndexLayout.prefixCount)
    }

    deinit {
        groupBases.deallocate()
        free(offsets)
    }

    /// Records every bucket of `database`; `path` names the file in errors.
    func fill(from transaction: Transaction, database: Transaction.Database, path: String) throws {
        var group = -1
        var pending: [(prefix: Int, address: UInt)] = []
        func close() throws {
            guard let base = pending.map(\.address).min() else { return }
            groupBases[group] = base
            for (prefix, address) in pending {
                guard address - base < UInt(Self.absent) else {
                    throw IndexError.corrupt(path: path, detail: "the buckets of one prefix group span more than 4 GiB")
                }
                offsets[prefix] = UInt32(address - base)
            }
            pending.removeAll(keepingCapacity: true)
        }
        try BucketBlock.forEach(in: transaction, database: database, path: path) { block in
            try block.forEachBucket { prefix, value in
                if prefix >> Self.groupBits != group {
                    try close()
                    group = prefix >> Self.groupBits
                }
                let address = UInt(bitPattern: value.baseAddress!)
                pending.append((prefix, address))
                bucketCount += 1
                dataEnd = max(dataEnd, address + UInt(value.count))
            }
        }
        try close()
    }

    /// The first byte of the bucket of `prefix`, or `nil` when it has none.
    @inlinable func start(ofBucket prefix: Int) -> UnsafeRawPointer? {
        let offset = offsets[prefix]
        if offset == Self.absent { return nil }
        return UnsafeRawPointer(bitPattern: groupBases[prefix >> Self.groupBits] + UInt(offset))
    }

    /// Starts loading the table entry of `prefix`.
    @inlinable func prefetchEntry(ofBucket prefix: Int) {
        breachdb_prefetch(offsets + prefix)
    }

    /// Bytes from `start` to the end of the bucket data: the most a damaged header may claim.
    @inlinable func bytesAvailable(from start: UnsafeRawPointer) -> Int {
        Int(dataEnd - UInt(bitPattern: start))
    }
}
