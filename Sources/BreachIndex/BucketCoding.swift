import BreachHash
import CMemoryHints

/// One bucket: every hash of one 20-bit prefix, with its count. The byte layout is
/// specified in `docs/index-format.md`; in short:
///
///     varint  n                 entries (≥ 1)
///     u8      c                 bits of each record's count code (1…56)
///     varint  e                 escaped counts
///     u8      w                 bytes of each escaped count (only when e > 0)
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
/// coding: ≈2 bits per entry buy back d bits per entry); fixed-width records keep that
/// jump arithmetic; the per-bucket count width with escapes spends few bits on the
/// heavy-tailed counts without capping them.
@usableFromInline struct BucketLayout {
    @usableFromInline let entryCount: Int
    @usableFromInline let slotBits: Int  // d
    @usableFromInline let recordBits: Int  // L
    @usableFromInline let countBits: Int  // c
    @usableFromInline let escapeCount: Int  // e
    @usableFromInline let escapeWidth: Int  // w
    @usableFromInline let indexWidth: Int
    @usableFromInline let slotsOffset: Int
    @usableFromInline let recordsOffset: Int
    @usableFromInline let escapeIndicesOffset: Int
    @usableFromInline let escapeCountsOffset: Int
    @usableFromInline let byteCount: Int

    @inlinable static func slotBits(entryCount n: Int, suffixBits: Int) -> Int {
        min(Int.bitWidth - 1 - n.leadingZeroBitCount, suffixBits, 30)
    }

    @inlinable init(
        entryCount n: Int, countBits c: Int, escapeCount e: Int, escapeWidth w: Int, headerBytes: Int, suffixBits: Int
    ) {
        entryCount = n
        slotBits = Self.slotBits(entryCount: n, suffixBits: suffixBits)
        recordBits = suffixBits - slotBits
        countBits = c
        escapeCount = e
        escapeWidth = w
        indexWidth = n <= 65536 ? 2 : 4
        slotsOffset = headerBytes
        recordsOffset = slotsOffset + (n + (1 << slotBits) + 7) / 8
        escapeIndicesOffset = recordsOffset + (n * (recordBits + c) + 7) / 8
        escapeCountsOffset = escapeIndicesOffset + e * indexWidth
        byteCount = escapeCountsOffset + e * w
    }

    /// Reads the header; `nil` unless the header is well formed and the layout it
    /// describes fits in `bytes`.
    @inlinable init?(_ bytes: BitReader, suffixBits: Int) {
        guard let (n, afterN) = bytes.varint(at: 0), n >= 1, n < 1 << 40 else { return nil }
        let c = Int(bytes.byte(at: afterN))
        guard c >= 1, c <= 56, let (e, afterE) = bytes.varint(at: afterN + 1), e <= n else { return nil }
        let w = e > 0 ? Int(bytes.byte(at: afterE)) : 0
        guard e == 0 || (1...8).contains(w) else { return nil }
        self.init(
            entryCount: n, countBits: c, escapeCount: e, escapeWidth: w,
            headerBytes: afterE + (e > 0 ? 1 : 0), suffixBits: suffixBits)
        guard byteCount <= bytes.count else { return nil }
    }

    @inlinable var escapeCode: UInt64 { (1 << UInt64(countBits)) - 1 }
}

/// Reads a bucket in place, in the memory map.
@usableFromInline struct BucketReader {
    @usableFromInline let bytes: BitReader
    @usableFromInline let layout: BucketLayout
    @usableFromInline let suffixBits: Int

    /// A bucket whose stored length is known: the header must describe exactly it.
    init?(_ value: UnsafeRawBufferPointer, suffixBits: Int) {
        guard
            let reader = BucketReader(
                start: value.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, available: value.count,
                suffixBits: suffixBits),
            reader.layout.byteCount == value.count
        else { return nil }
        self = reader
    }

    /// A bucket at `start` whose length its header gives; `available` bytes may be read.
    @inlinable init?(start: UnsafeRawPointer, available: Int, suffixBits: Int) {
        self.suffixBits = suffixBits
        guard
            let layout = BucketLayout(
                BitReader(UnsafeRawBufferPointer(start: start, count: available)), suffixBits: suffixBits)
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
    @inlinable func slot(of digest: HashDigest) -> Int {
        Int(digest.bits(at: HashDigest.prefixBitCount, count: layout.slotBits))
    }

    /// The count of `digest` if it is among the `entries` (those of its slot), or 0.
    @inlinable func count(of digest: HashDigest, amongEntries entries: (Int, Int)) -> UInt64 {
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

    /// Starts loading the lines of the slot bits that ``entries(inSlot:)`` reads for
    /// `slot`: from the first up to where the slot ends, about `slot · (1 + n/2^d)` bits in
    /// (entries spread evenly over the slots), plus 16 bytes for the spread (at the real
    /// density, ≈1,907 entries, its standard deviation is under 3 bytes).
    @inlinable func prefetchSlotBits(for slot: Int) {
        let n = layout.entryCount, d = layout.slotBits
        let estimate = (slot &+ ((slot &+ 1) &* n) >> d) / 8
        prefetchLines(from: layout.slotsOffset, to: layout.slotsOffset + min(estimate + 16, (n + (1 << d) + 7) / 8))
    }

    /// Starts loading the records of `entries` (a slot's, from ``entries(inSlot:)``), with
    /// the 8 bytes past the last that reading its count may touch.
    @inlinable func prefetchRecords(_ entries: (Int, Int)) {
        guard entries.0 < entries.1 else { return }
        let width = layout.recordBits + layout.countBits
        prefetchLines(
            from: layout.recordsOffset + entries.0 * width / 8, to: layout.recordsOffset + entries.1 * width / 8 + 8)
    }

    /// Starts loading every cache line from byte `start` to byte `end` of the bucket.
    @inlinable func prefetchLines(from start: Int, to end: Int) {
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

    /// The first entry of `slot` and the one after its last.
    @inlinable func entries(inSlot slot: Int) -> (Int, Int) {
        let base = layout.slotsOffset
        var bit = 0
        if slot > 0 {
            // Skip `slot` zero bits, a word at a time.
            var remaining = slot, word = 0
            while true {
                let zeros = ~bytes.littleEndianWord(at: base + word * 8)
                let found = zeros.nonzeroBitCount
                if found >= remaining {
                    var z = zeros
                    for _ in 1..<remaining { z &= z - 1 }
                    bit = word * 64 + z.trailingZeroBitCount + 1
                    break
                }
                remaining -= found
                word += 1
            }
        }
        let first = bit - slot
        // Count the run of one bits from `bit`.
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

    /// −1, 0 or 1 as record `index`'s suffix bits sort before, equal or after `digest`'s.
    @inlinable func compareRecord(_ index: Int, with digest: HashDigest, lowStart: Int) -> Int {
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

    @inlinable func count(ofRecord index: Int) -> UInt64 {
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
    /// bits are skipped a word at a time and escaped counts taken in step with the records,
    /// so each entry costs a few word reads (the range route's hot path).
    @inline(__always) func forEachSuffix(_ body: (RangeSuffix, UInt64) -> Void) {
        let d = layout.slotBits, width = layout.recordBits + layout.countBits, slotCount = 1 << d
        let escapeCode = layout.escapeCode
        let (secondMask, thirdMask) = RangeSuffix.masks(suffixBits: suffixBits)
        // Where the count code sits in a record's four words (record bits ≤ 140, code ≤ 56 bits).
        let countWord = layout.recordBits >> 6, countShift = UInt64(layout.recordBits & 63)
        let codeShift = UInt64(64 - layout.countBits)
        // Shifts of the slot under a suffix (masking shifts: d is 1…30 where they are used).
        let slotShift = UInt64(64 - d), recordShift = UInt64(d)
        var slot = 0, bit = 0, escape = 0
        var recordBit = layout.recordsOffset * 8
        for index in 0..<layout.entryCount {
            // The next one bit: this entry's slot is the number of zero bits before it.
            while true {
                let shift = bit & 7
                let zeros = (bytes.littleEndianWord(at: layout.slotsOffset + bit >> 3) >> UInt64(shift))
                    .trailingZeroBitCount
                let available = 64 - shift
                if zeros < available {
                    slot += zeros
                    bit += zeros
                    break
                }
                slot += available
                bit += available
                if slot >= slotCount { return }  // damaged: fewer one bits than entries (verify reports it)
            }
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
            bit += 1
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
    let suffixBits: Int

    init(suffixBits: Int) { self.suffixBits = suffixBits }

    func encode(_ entries: UnsafeBufferPointer<HashCount>, into output: inout [UInt8]) {
        let n = entries.count
        precondition(n > 0)
        let (c, e, w) = Self.countCoding(entries)
        output.removeAll(keepingCapacity: true)
        output.appendVarint(n)
        output.append(UInt8(c))
        output.appendVarint(e)
        if e > 0 { output.append(UInt8(w)) }
        let layout = BucketLayout(
            entryCount: n, countBits: c, escapeCount: e, escapeWidth: w,
            headerBytes: output.count, suffixBits: suffixBits)
        let d = layout.slotBits
        let start = HashDigest.prefixBitCount
        output.append(contentsOf: repeatElement(0, count: layout.byteCount - output.count))
        output.withUnsafeMutableBytes { bytes in
            // Slots: ones for the entries of each slot, then a zero; LSB-first bytes.
            for (i, entry) in entries.enumerated() {
                let bit = Int(entry.digest.bits(at: start, count: d)) + i
                bytes[layout.slotsOffset + bit >> 3] |= 1 << UInt8(bit & 7)
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
