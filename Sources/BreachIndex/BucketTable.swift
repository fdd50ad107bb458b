import BreachHash
import Glibc
import LMDB

/// What a lookup needs of each bucket, for all 2^20 prefixes: 8 MiB.
///
/// A lookup's first memory access is this table, its second the bucket. An entry holds
/// the bucket's place (a 4-byte offset from its group of 256 prefixes; buckets are
/// appended in prefix order, so a group spans a few MiB at most) and its header's
/// fields, read once at open: the lookup computes where the bucket's slot bits and
/// its record lie and loads both at once, instead of waiting for the header first.
@usableFromInline final class BucketTable {
    @usableFromInline static let groupBits = 8

    /// Each group's lowest bucket address.
    @usableFromInline let groupBases: UnsafeMutablePointer<UInt>
    @usableFromInline let summaries: UnsafeMutablePointer<BucketSummary>
    /// The span of the map that holds buckets: nothing outside it is ever read.
    @usableFromInline private(set) var dataStart = UInt.max
    @usableFromInline private(set) var dataEnd: UInt = 0

    init() {
        groupBases = .allocate(capacity: IndexLayout.prefixCount >> Self.groupBits)
        groupBases.initialize(repeating: 0, count: IndexLayout.prefixCount >> Self.groupBits)
        // On 2 MiB huge pages where the kernel allows (THP `madvise` mode): no TLB miss.
        let bytes = IndexLayout.prefixCount * MemoryLayout<BucketSummary>.stride
        var memory: UnsafeMutableRawPointer?
        precondition(posix_memalign(&memory, 2 << 20, bytes) == 0, "out of memory for the bucket table")
        _ = madvise(memory, bytes, MADV_HUGEPAGE)
        summaries = memory!.bindMemory(to: BucketSummary.self, capacity: IndexLayout.prefixCount)
        summaries.initialize(repeating: .absent, count: IndexLayout.prefixCount)
    }

    deinit {
        groupBases.deallocate()
        free(summaries)
    }

    /// Records every bucket of `database`; `path` names the file in errors.
    func fill(from transaction: Transaction, database: Transaction.Database, kind: HashKind, path: String) throws {
        var group = -1
        var pending: [(prefix: Int, address: UInt, header: BucketLayout?)] = []
        func close() throws {
            guard let base = pending.map(\.address).min() else { return }
            groupBases[group] = base
            for (prefix, address, header) in pending {
                guard address - base <= UInt(UInt32.max) else {
                    throw IndexError.corrupt(path: path, detail: "the buckets of one prefix group span more than 4 GiB")
                }
                summaries[prefix] = BucketSummary(offset: UInt32(address - base), header: header)
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
                // A damaged header is left for the lookup to refuse and `verify` to report.
                pending.append((prefix, address, BucketLayout(BitReader(value), suffixBits: kind.suffixBitCount)))
                dataStart = min(dataStart, address)
                dataEnd = max(dataEnd, address + UInt(value.count))
            }
        }
        try close()
    }

    /// The first byte of the bucket of `prefix`, or `nil` when it has none.
    @inlinable func start(ofBucket prefix: Int) -> UnsafeRawPointer? {
        let summary = summaries[prefix]
        return summary.isPresent ? start(of: summary, prefix: prefix) : nil
    }

    @inlinable func start(of summary: BucketSummary, prefix: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: groupBases[prefix >> Self.groupBits] + UInt(summary.offset))!
    }

    /// Bytes from `start` to the end of the bucket data: the most a damaged header may claim.
    @inlinable func bytesAvailable(from start: UnsafeRawPointer) -> Int {
        Int(dataEnd - UInt(bitPattern: start))
    }
}

/// One bucket's table entry, 8 bytes: its offset from its group's base (32 bits), its
/// entry count `n` (24 bits), its count-code width `c` (6 bits) and the bytes of its
/// header after `n` and `c` (2 bits, 1…4). `n = 0`: no bucket. `c = 0`: a header the
/// entry cannot hold (or a damaged one), which the lookup reads itself.
@usableFromInline struct BucketSummary: Sendable {
    @usableFromInline let bits: UInt64

    @usableFromInline static let absent = BucketSummary(bits: 0)

    @inlinable init(bits: UInt64) { self.bits = bits }

    init(offset: UInt32, header: BucketLayout?) {
        var bits = UInt64(offset) | 1 << 32  // present, to be read from the bucket
        if let header, header.entryCount < 1 << 24 {
            let rest = header.slotsOffset - varintLength(header.entryCount) - 1
            if (1...4).contains(rest) {
                bits = UInt64(offset) | UInt64(header.entryCount) << 32 | UInt64(header.countBits) << 56 | UInt64(rest - 1) << 62
            }
        }
        self.bits = bits
    }

    @inlinable var isPresent: Bool { bits >> 32 != 0 }
    @inlinable var offset: UInt32 { UInt32(truncatingIfNeeded: bits) }
    /// `false` when the lookup must read the bucket's header.
    @inlinable var isComplete: Bool { countBits != 0 }
    @inlinable var entryCount: Int { Int(truncatingIfNeeded: bits >> 32 & 0xFF_FFFF) }
    @inlinable var countBits: Int { Int(truncatingIfNeeded: bits >> 56 & 0x3F) }
    @inlinable var headerBytes: Int { varintLength(entryCount) + 1 + Int(truncatingIfNeeded: bits >> 62) + 1 }
}

/// Bytes of `value` as a LEB128 varint.
@inlinable func varintLength(_ value: Int) -> Int {
    max(1, (Int.bitWidth - value.leadingZeroBitCount + 6) / 7)
}
