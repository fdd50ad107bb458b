import BreachHash
import CMemoryHints

/// One bucket: every hash of one 20-bit prefix, with its count. The byte layout is
/// specified in `docs/index-format.md`; in short:
///
///     varint  n                 entries (≥ 1)
///     u8      c                 bits of each record's count code (1…56)
///     varint  e                 escaped counts
///     u8      w                 bytes of each escaped count (only when e > 0)
///     u16/u32 slot marks        max(0, 2^d / 64 − 1) (format versions 4 and 5), LE:
///                               where slots 64, 128, … begin in the slot bits
///     bits    slots             n + 2^d bits, LSB first: for each of the 2^d slots
///                               (the next d = ⌊log₂ n⌋ bits of the hash), one 1-bit
///                               per entry in it, then a 0-bit
///     bits    records           n × (L + c) bits, MSB first: the remaining L = S − d
///                               suffix bits, then the count code (count − 1, or all
///                               ones for "escaped")
///     u16/u32 escape indices    e × (n ≤ 65536 ? 2 : 4) bytes, LE, ascending
///     uN      escape counts     e × w bytes, LE
///
/// Slots make a lookup jump to the one or two records that can match (Elias–Fano
/// coding: ≈2 bits per entry buy back d bits per entry); slot marks let it start its
/// scan of the slot bits at most 64 slots before its own, so that it reads one or two of
/// their lines instead of every line up to its slot; fixed-width records keep the jump
/// arithmetic; the per-bucket count width with escapes spends few bits on the
/// heavy-tailed counts without capping them.

/// What the buckets of one file share: the hash bits each stores after the range prefix
/// (``IndexFormat``), and whether slot marks precede its slot bits (format versions 4 and
/// 5; ``IndexFormat/hasSlotMarks(formatVersion:)``).
@usableFromInline struct BucketShape: Sendable {
    @usableFromInline let suffixBits: Int
    @usableFromInline let hasSlotMarks: Bool

    @inlinable init(suffixBits: Int, hasSlotMarks: Bool) {
        self.suffixBits = suffixBits
        self.hasSlotMarks = hasSlotMarks
    }

    /// The shape of the buckets of a file of `formatVersion` (one this build reads).
    init(kind: HashKind, formatVersion: Int) {
        guard let format = IndexFormat(formatVersion: formatVersion) else {
            preconditionFailure("format version \(formatVersion) is not one this build reads")
        }
        self.init(
            suffixBits: format.suffixBits(for: kind),
            hasSlotMarks: IndexFormat.hasSlotMarks(formatVersion: formatVersion))
    }
}

/// (Its offsets are `@inline(__always)` for the batch lookup: see ``BucketReader``.)
@usableFromInline struct BucketLayout {
    // Only what lookups read is stored (a batch lookup keeps one per query in flight); the
    // escapes' offsets are derived.
    @usableFromInline let entryCount: Int
    @usableFromInline let slotBits: Int  // d
    @usableFromInline let recordBits: Int  // L
    @usableFromInline let countBits: Int  // c
    @usableFromInline let escapeCount: Int  // e
    @usableFromInline let escapeWidth: Int  // w
    @usableFromInline let markCount: Int
    @usableFromInline let markWidth: Int
    @usableFromInline let marksOffset: Int
    @usableFromInline let slotsOffset: Int
    @usableFromInline let recordsOffset: Int

    @inlinable var indexWidth: Int { entryCount <= 65536 ? 2 : 4 }
    @inlinable @inline(__always) var escapeIndicesOffset: Int {
        recordsOffset + (entryCount * (recordBits + countBits) + 7) / 8
    }
    @inlinable @inline(__always) var escapeCountsOffset: Int { escapeIndicesOffset + escapeCount * indexWidth }
    @inlinable @inline(__always) var byteCount: Int { escapeCountsOffset + escapeCount * escapeWidth }

    /// Slots between two slot marks: the scan from a mark to a slot's start skips fewer
    /// than 64 zero bits and their one bits, about three words at the real density.
    @inlinable static var slotsPerMark: Int { 64 }

    @inlinable static func slotBits(entryCount n: Int, suffixBits: Int) -> Int {
        min(Int.bitWidth - 1 - n.leadingZeroBitCount, suffixBits, 30)
    }

    @inlinable init(
        entryCount n: Int, countBits c: Int, escapeCount e: Int, escapeWidth w: Int, headerBytes: Int,
        shape: BucketShape
    ) {
        entryCount = n
        slotBits = Self.slotBits(entryCount: n, suffixBits: shape.suffixBits)
        recordBits = shape.suffixBits - slotBits
        countBits = c
        escapeCount = e
        escapeWidth = w
        // A mark for the start of each slot 64·k (k ≥ 1); a mark is a bit position in the slot bits.
        markCount = shape.hasSlotMarks ? max(0, (1 << slotBits) / Self.slotsPerMark - 1) : 0
        markWidth = n + (1 << slotBits) <= 65536 ? 2 : 4
        marksOffset = headerBytes
        slotsOffset = marksOffset + markCount * markWidth
        recordsOffset = slotsOffset + (n + (1 << slotBits) + 7) / 8
    }

    /// Reads the header; `nil` unless the header is well formed and the layout it
    /// describes fits in `bytes`.
    @inlinable @inline(__always) init?(_ bytes: BitReader, shape: BucketShape) {
        guard let (n, afterN) = bytes.varint(at: 0), n >= 1, n < 1 << 40 else { return nil }
        let c = Int(bytes.byte(at: afterN))
        guard c >= 1, c <= 56, let (e, afterE) = bytes.varint(at: afterN + 1), e <= n else { return nil }
        let w = e > 0 ? Int(bytes.byte(at: afterE)) : 0
        guard e == 0 || (1...8).contains(w) else { return nil }
        self.init(
            entryCount: n, countBits: c, escapeCount: e, escapeWidth: w,
            headerBytes: afterE + (e > 0 ? 1 : 0), shape: shape)
        guard byteCount <= bytes.count else { return nil }
    }

    @inlinable var escapeCode: UInt64 { (1 << UInt64(countBits)) - 1 }
}

/// Reads a bucket in place, in the memory map.
///
/// The steps a lookup runs for each query (reading the header into a ``BucketLayout``,
/// finding the slot's entries, prefetching, comparing records, decoding a count) are
/// `@inline(__always)`: left to the optimizer, several stayed calls of their own, each
/// re-reading the reader's fields from memory, and a batch lookup
/// (``BreachIndex/counts(of:into:)``) was bound by that work, not by its memory reads. Forced
/// inline, a sorted batch at two billion hashes went from 131.8–132.1 to 113.5–114.6 ns a
/// lookup, batches of 1,000 from 245–253 to 222–228 (docs/benchmarks.md, "Batch lookups
/// bound by their work").
@usableFromInline struct BucketReader {
    @usableFromInline let bytes: BitReader
    @usableFromInline let layout: BucketLayout
    @usableFromInline let suffixBits: Int

    /// A bucket whose stored length is known: the header must describe exactly it.
    init?(_ value: UnsafeRawBufferPointer, shape: BucketShape) {
        guard
            let reader = BucketReader(
                start: value.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, available: value.count, shape: shape),
            reader.layout.byteCount == value.count
        else { return nil }
        self = reader
    }

    /// A bucket at `start` whose length its header gives; `available` bytes may be read.
    @inlinable @inline(__always) init?(start: UnsafeRawPointer, available: Int, shape: BucketShape) {
        self.suffixBits = shape.suffixBits
        guard
            let layout = BucketLayout(BitReader(UnsafeRawBufferPointer(start: start, count: available)), shape: shape)
        else {
            return nil
        }
        self.layout = layout
        bytes = BitReader(UnsafeRawBufferPointer(start: start, count: layout.byteCount))
    }

    /// The count of `digest` (whose prefix is this bucket's), or 0.
    @inlinable func count(of digest: HashDigest) -> UInt64 {
        let slot = self.slot(of: digest)
        prefetchRecord(inSlot: slot)
        return count(of: digest, amongEntries: entries(inSlot: slot))
    }

    /// The slot of `digest`: the `d` hash bits after its prefix.
    @inlinable @inline(__always) func slot(of digest: HashDigest) -> Int {
        Int(digest.bits(at: HashDigest.prefixBitCount, count: layout.slotBits))
    }

    /// The count of `digest` if it is among the `entries` (those of its slot), or 0.
    @inlinable @inline(__always) func count(of digest: HashDigest, amongEntries entries: (Int, Int)) -> UInt64 {
        var (index, end) = entries
        let lowStart = HashDigest.prefixBitCount + layout.slotBits
        while index < end {
            switch compareRecord(index, with: digest, lowStart: lowStart) {
            case 0: return count(ofRecord: index)
            case 1: return 0  // records in a slot ascend: passed it
            default: index += 1
            }
        }
        return 0
    }

    /// Starts loading the lines that ``entries(inSlot:)`` reads for the slot of `digest`:
    /// its slot mark, and the slot bits from where the mark should point to where the slot
    /// should end, with 16 bytes either side for the spread. Where a slot begins is estimated
    /// (entries spread evenly over the slots: slot `s` starts about `s · (1 + n/2^d)` bits in;
    /// at the real density, ≈1,907 entries, the standard deviation is under 3 bytes), so that
    /// this stage reads nothing beyond the header.
    @inlinable @inline(__always) func prefetchSlotBits(for digest: HashDigest) {
        let slot = self.slot(of: digest)
        let n = layout.entryCount, d = layout.slotBits
        let mark = min(slot / BucketLayout.slotsPerMark, layout.markCount)
        if mark > 0 { breachdb_prefetch(bytes.base + layout.marksOffset + (mark - 1) * layout.markWidth) }
        @inline(__always) func byteOfStart(ofSlot slot: Int) -> Int { (slot &+ (slot &* n) >> d) / 8 }
        let first = mark > 0 ? max(0, byteOfStart(ofSlot: mark * BucketLayout.slotsPerMark) - 16) : 0
        let end = min(byteOfStart(ofSlot: slot &+ 1) + 16, (n + (1 << d) + 7) / 8)
        prefetchLines(from: layout.slotsOffset + first, to: layout.slotsOffset + max(first, end))
    }

    /// The entries of the slot of `digest`, whose records it starts loading (``prefetchRecords(_:)``).
    @inlinable @inline(__always) func entriesPrefetchingRecords(of digest: HashDigest) -> (Int, Int) {
        let entries = self.entries(inSlot: slot(of: digest))
        prefetchRecords(entries)
        return entries
    }

    /// Starts loading the records of `entries` (a slot's, from ``entries(inSlot:)``), with
    /// the 8 bytes past the last that reading its count may touch.
    @inlinable @inline(__always) func prefetchRecords(_ entries: (Int, Int)) {
        guard entries.0 < entries.1 else { return }
        let width = layout.recordBits + layout.countBits
        prefetchLines(
            from: layout.recordsOffset + entries.0 * width / 8, to: layout.recordsOffset + entries.1 * width / 8 + 8)
    }

    /// Starts loading every cache line from byte `start` to byte `end` of the bucket.
    @inlinable @inline(__always) func prefetchLines(from start: Int, to end: Int) {
        let first = bytes.base + start
        var line = first - (Int(bitPattern: first) & 63)
        while line <= bytes.base + end {
            breachdb_prefetch(line)
            line += 64
        }
    }

    /// Starts loading the line of the records of `slot` in a large bucket, to overlap the
    /// scan of the slot bits: with uniform hashes they sit near the slot's relative position.
    @inlinable func prefetchRecord(inSlot slot: Int) {
        guard layout.entryCount > 64 else { return }
        let estimate = (slot * layout.entryCount) >> layout.slotBits
        breachdb_prefetch(bytes.base + layout.recordsOffset + estimate * (layout.recordBits + layout.countBits) / 8)
    }

    /// Where the scan of the slot bits for `slot` starts: the bit where the slot of the
    /// nearest mark at or below it begins (0 without marks), and the zero bits still to skip.
    @inlinable @inline(__always) func scanStart(forSlot slot: Int) -> (bit: Int, zeros: Int) {
        let mark = min(slot / BucketLayout.slotsPerMark, layout.markCount)
        guard mark > 0 else { return (0, slot) }
        let at = layout.marksOffset + (mark - 1) * layout.markWidth
        return (
            Int(bytes.littleEndianInteger(at: at, width: layout.markWidth)), slot - mark * BucketLayout.slotsPerMark
        )
    }

    /// The first entry of `slot` and the one after its last.
    @inlinable @inline(__always) func entries(inSlot slot: Int) -> (Int, Int) {
        let (start, zeros) = scanStart(forSlot: slot)
        let bit = bitAfter(zeros: zeros, from: start)
        let first = max(0, bit - slot)  // a damaged mark may point before the slot can start
        // Count the run of one bits from `bit`.
        let base = layout.slotsOffset
        var run = 0
        while true {
            let at = bit + run
            let ones = (bytes.littleEndianWord(at: base + (at >> 3)) >> UInt64(at & 7))
            let length = (~ones).trailingZeroBitCount
            let available = 64 - (at & 7)
            if length < available {
                run += length
                break
            }
            run += available
        }
        return (first, min(first + run, layout.entryCount))
    }

    /// The slot bit just after the `zeros`-th zero bit from `bit` (`bit` itself for none),
    /// skipping a word at a time. Past the bucket's end bits read as zero, so damaged marks
    /// or slot bits end the scan too.
    @inlinable @inline(__always) func bitAfter(zeros: Int, from bit: Int) -> Int {
        guard zeros > 0 else { return bit }
        // Words aligned on the slot bits' start, so that each word's address is known before
        // the count of the one before it (the loads overlap); the first word's bits before
        // `bit` are left out.
        var word = bit >> 6, remaining = zeros
        var zeroBits = ~bytes.littleEndianWord(at: layout.slotsOffset + word * 8) & (UInt64.max &<< UInt64(bit & 63))
        while true {
            let found = zeroBits.nonzeroBitCount
            if found >= remaining { return word * 64 + Self.position(ofSetBit: remaining - 1, in: zeroBits) + 1 }
            remaining -= found
            word += 1
            zeroBits = ~bytes.littleEndianWord(at: layout.slotsOffset + word * 8)
        }
    }

    /// The position of the set bit of `word` with `rank` set bits below it (fewer than
    /// `word.nonzeroBitCount`): each byte's count of set bits, summed up to each byte by one
    /// multiplication, finds the byte (Vigna's broadword select), and the bit within it is
    /// found the same way, with no loop or branch: the work does not grow with `rank` (the
    /// slot's place in its word) and nothing is mispredicted.
    @inlinable @inline(__always) static func position(ofSetBit rank: Int, in word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var counts = word &- ((word &>> 1) & 0x5555_5555_5555_5555)
        counts = (counts & 0x3333_3333_3333_3333) &+ ((counts &>> 2) & 0x3333_3333_3333_3333)
        counts = (counts &+ (counts &>> 4)) & 0x0F0F_0F0F_0F0F_0F0F
        let sums = counts &* ones  // byte i: set bits in bytes 0…i (at most 64)
        // The first byte whose sum exceeds `rank`: its high bit survives the subtraction.
        let exceeds = ((sums | highs) &- UInt64(rank + 1) &* ones) & highs
        let byte = exceeds.trailingZeroBitCount / 8
        let below = Int(((sums &<< 8) &>> UInt64(8 * byte)) & 0xFF)  // the sum of the bytes before
        // The same within the byte, a bit to a byte: bit i of the byte is copied to byte i
        // (a multiplication and a mask), made 0 or 1, and summed up to each byte.
        let bits = (word &>> UInt64(8 * byte)) & 0xFF
        let spread = (((bits &* ones) & 0x8040_2010_0804_0201) &+ 0x7F7F_7F7F_7F7F_7F7F) & highs
        let bitSums = (spread &>> 7) &* ones
        let bitExceeds = ((bitSums | highs) &- UInt64(rank - below + 1) &* ones) & highs
        return 8 * byte + bitExceeds.trailingZeroBitCount / 8
    }

    /// −1, 0 or 1 as record `index`'s suffix bits sort before, equal or after `digest`'s.
    @inlinable @inline(__always) func compareRecord(_ index: Int, with digest: HashDigest, lowStart: Int) -> Int {
        let recordStart = index * (layout.recordBits + layout.countBits)
        var done = 0
        while done < layout.recordBits {
            let width = min(56, layout.recordBits - done)
            let stored = bytes.field(at: layout.recordsOffset * 8 + recordStart + done, bitCount: width)
            let wanted = digest.bits(at: lowStart + done, count: width)
            if stored != wanted { return stored < wanted ? -1 : 1 }
            done += width
        }
        return 0
    }

    @inlinable @inline(__always) func count(ofRecord index: Int) -> UInt64 {
        let bitOffset = layout.recordsOffset * 8 + index * (layout.recordBits + layout.countBits) + layout.recordBits
        let code = bytes.field(at: bitOffset, bitCount: layout.countBits)
        if code != layout.escapeCode { return code + 1 }
        // Binary search of the ascending escape indices.
        var low = 0, high = layout.escapeCount
        while low < high {
            let mid = (low + high) / 2
            let at = Int(
                bytes.littleEndianInteger(
                    at: layout.escapeIndicesOffset + mid * layout.indexWidth, width: layout.indexWidth))
            if at == index {
                return bytes.littleEndianInteger(
                    at: layout.escapeCountsOffset + mid * layout.escapeWidth, width: layout.escapeWidth)
            }
            if at < index { low = mid + 1 } else { high = mid }
        }
        return 0  // damaged: an escape code with no escaped count (verify reports it)
    }

    /// Calls `body` with every entry's suffix and count, in ascending order: the slot
    /// bits are held a word at a time and each entry clears that word's lowest one bit,
    /// and escaped counts are taken in step with the records, so each entry costs a few word
    /// reads (the range route's hot path). Clearing a bit of a held word, rather than loading
    /// a word at each one bit's position, leaves one instruction on the chain from one
    /// entry's slot to the next: formatting a range at the real density went from 26.0 to
    /// 24.9 µs (RangeFormatterFloor, docs/benchmarks.md).
    @inline(__always) func forEachSuffix(_ body: (RangeSuffix, UInt64) -> Void) {
        let d = layout.slotBits, width = layout.recordBits + layout.countBits, slotCount = 1 << d
        let escapeCode = layout.escapeCode
        let (secondMask, thirdMask) = RangeSuffix.masks(suffixBits: suffixBits)
        // Where the count code sits in a record's four words (record bits ≤ 140, code ≤ 56 bits).
        let countWord = layout.recordBits >> 6, countShift = UInt64(layout.recordBits & 63)
        let codeShift = UInt64(64 - layout.countBits)
        // Shifts of the slot under a suffix (masking shifts: d is 1…30 where they are used).
        let slotShift = UInt64(64 - d), recordShift = UInt64(d)
        // The slot bits from bit `wordBit` on, less the one bits already taken.
        var wordBit = 0, word = bytes.littleEndianWord(at: layout.slotsOffset), escape = 0
        var recordBit = layout.recordsOffset * 8
        for index in 0..<layout.entryCount {
            // The next one bit: its position less the entries before it is this entry's slot.
            while word == 0 {
                wordBit += 64
                // damaged: fewer one bits than entries (verify reports it)
                if wordBit - index >= slotCount { return }
                word = bytes.littleEndianWord(at: layout.slotsOffset + wordBit >> 3)
            }
            let slot = wordBit + word.trailingZeroBitCount - index
            word &= word &- 1
            guard slot < slotCount else { return }
            // The suffix is the slot's d bits, then the record's: three words of record bits
            // shifted right by d under the slot, and cut to the suffix's length.
            let (r0, r1, r2, r3) = bytes.words(atBit: recordBit)
            let suffix =
                d == 0
                ? RangeSuffix(first: r0, second: r1 & secondMask, third: r2 & thirdMask)
                : RangeSuffix(
                    first: UInt64(truncatingIfNeeded: slot) &<< slotShift | r0 &>> recordShift,
                    second: (r0 &<< slotShift | r1 &>> recordShift) & secondMask,
                    third: (r1 &<< slotShift | r2 &>> recordShift) & thirdMask)
            let (high, low) = countWord == 0 ? (r0, r1) : countWord == 1 ? (r1, r2) : (r2, r3)
            let code = (high &<< countShift | (low &>> 1) &>> (63 &- countShift)) &>> codeShift
            var count = code + 1
            if code == escapeCode {
                // Escape indices ascend, as the records do.
                while escape < layout.escapeCount, escapeIndex(escape) < index { escape += 1 }
                count =
                    escape < layout.escapeCount && escapeIndex(escape) == index
                    ? bytes.littleEndianInteger(
                        at: layout.escapeCountsOffset + escape * layout.escapeWidth, width: layout.escapeWidth)
                    : 0  // damaged: an escape code with no escaped count (verify reports it)
            }
            body(suffix, count)
            recordBit += width
        }
    }

    private func escapeIndex(_ escape: Int) -> Int {
        Int(
            bytes.littleEndianInteger(
                at: layout.escapeIndicesOffset + escape * layout.indexWidth, width: layout.indexWidth))
    }

    /// Calls `body` with every entry, in ascending order.
    func forEach(prefix: Int, _ body: (HashCount) throws -> Void) rethrows {
        let d = layout.slotBits, width = layout.recordBits + layout.countBits
        var slot = 0, bit = 0, index = 0
        while index < layout.entryCount && slot < 1 << d {
            let word = bytes.littleEndianWord(at: layout.slotsOffset + (bit >> 3)) >> UInt64(bit & 7)
            if word & 1 == 0 {
                slot += 1
                bit += 1
                continue
            }
            var builder = DigestBuilder()
            builder.append(UInt64(prefix), bitCount: HashDigest.prefixBitCount)
            builder.append(UInt64(slot), bitCount: d)
            var done = 0
            while done < layout.recordBits {
                let chunk = min(56, layout.recordBits - done)
                builder.append(
                    bytes.field(at: layout.recordsOffset * 8 + index * width + done, bitCount: chunk), bitCount: chunk)
                done += chunk
            }
            try body(HashCount(digest: builder.digest, count: count(ofRecord: index)))
            index += 1
            bit += 1
        }
    }
}

private func storeLittleEndian(_ value: UInt64, width: Int, at offset: Int, in bytes: UnsafeMutableRawBufferPointer) {
    for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
}

/// Encodes one bucket from its entries, sorted ascending and without duplicates.
struct BucketEncoder {
    let shape: BucketShape

    func encode(_ entries: UnsafeBufferPointer<HashCount>, into output: inout [UInt8]) {
        let n = entries.count
        precondition(n > 0)
        precondition(n < 1 << 31, "a bucket's slot marks are at most 32 bits wide")
        let (c, e, w) = Self.countCoding(entries)
        output.removeAll(keepingCapacity: true)
        output.appendVarint(n)
        output.append(UInt8(c))
        output.appendVarint(e)
        if e > 0 { output.append(UInt8(w)) }
        let layout = BucketLayout(
            entryCount: n, countBits: c, escapeCount: e, escapeWidth: w,
            headerBytes: output.count, shape: shape)
        let d = layout.slotBits
        let start = HashDigest.prefixBitCount
        output.append(contentsOf: repeatElement(0, count: layout.byteCount - output.count))
        output.withUnsafeMutableBytes { bytes in
            // Slots: ones for the entries of each slot, then a zero; LSB-first bytes.
            for (i, entry) in entries.enumerated() {
                let bit = Int(entry.digest.bits(at: start, count: d)) + i
                bytes[layout.slotsOffset + bit >> 3] |= 1 << UInt8(bit & 7)
            }
            // Slot marks: slot 64·k starts after its 64·k zero bits and the entries below it.
            var below = 0
            for mark in 0..<layout.markCount {
                let slot = (mark + 1) * BucketLayout.slotsPerMark
                while below < n && Int(entries[below].digest.bits(at: start, count: d)) < slot { below += 1 }
                storeLittleEndian(
                    UInt64(slot + below), width: layout.markWidth, at: layout.marksOffset + mark * layout.markWidth,
                    in: bytes)
            }
            var writer = BitWriter(into: bytes, at: layout.recordsOffset)
            let escapeCode = layout.escapeCode
            for entry in entries {
                var done = 0
                while done < layout.recordBits {
                    let chunk = min(56, layout.recordBits - done)
                    writer.write(entry.digest.bits(at: start + d + done, count: chunk), bitCount: chunk)
                    done += chunk
                }
                writer.write(min(entry.count - 1, escapeCode), bitCount: c)
            }
            writer.finish()
            guard e > 0 else { return }
            var escape = 0
            for (i, entry) in entries.enumerated() where entry.count - 1 >= escapeCode {
                storeLittleEndian(
                    UInt64(i), width: layout.indexWidth, at: layout.escapeIndicesOffset + escape * layout.indexWidth,
                    in: bytes)
                storeLittleEndian(entry.count, width: w, at: layout.escapeCountsOffset + escape * w, in: bytes)
                escape += 1
            }
        }
        assert(output.count == layout.byteCount)
    }

    /// The count-code width that makes the bucket smallest, with the number of escapes
    /// it leaves and the byte width of an escaped count.
    static func countCoding(_ entries: UnsafeBufferPointer<HashCount>) -> (bits: Int, escapes: Int, width: Int) {
        // byLength[k]: counts whose (count − 1) needs k bits; allOnes[k]: those equal to 2^k − 1.
        var byLength = [Int](repeating: 0, count: 65), allOnes = [Int](repeating: 0, count: 65)
        var largest: UInt64 = 0
        for entry in entries {
            let v = entry.count - 1
            let length = 64 - v.leadingZeroBitCount
            byLength[length] += 1
            if v != 0 && v & (v &+ 1) == 0 { allOnes[length] += 1 }
            largest = max(largest, entry.count)
        }
        let width = max(1, (64 - largest.leadingZeroBitCount + 7) / 8)
        let indexWidth = entries.count <= 65536 ? 2 : 4
        var best = (bits: 1, escapes: 0, width: width, size: Int.max)
        var longer = byLength[1...].reduce(0, +)  // counts needing more than `c` bits
        for c in 1...56 {
            longer -= byLength[c]
            // Codes 0 … 2^c − 2 are counts; 2^c − 1 escapes, as does anything longer.
            let escapes = longer + allOnes[c]
            let size = entries.count * c + escapes * 8 * (indexWidth + width)
            if size < best.size { best = (c, escapes, width, size) }
            if longer == 0 && allOnes[c] == 0 { break }
        }
        return (best.bits, best.escapes, best.width)
    }
}
