/// Bit-level reads and writes for the bucket format. Written by hand because this is
/// the lookup and ingest hot path: a general bit-stream library would add bounds
/// bookkeeping and allocation per field.

/// Reads big-endian (most significant bit first) bit fields and little-endian words
/// from a value in the memory map. Every read is bounds-safe: bytes past the end read
/// as zero, so a damaged value gives a wrong answer (caught by `verify`), never a crash.
@usableFromInline struct BitReader {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let count: Int

    @inlinable init(_ bytes: UnsafeRawBufferPointer) {
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.count = bytes.count
    }

    /// 8 bytes from `byteOffset` as a big-endian word.
    @inlinable func bigEndianWord(at byteOffset: Int) -> UInt64 {
        if byteOffset >= 0 && byteOffset + 8 <= count {
            return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: byteOffset, as: UInt64.self))
        }
        return bigEndianWord(nearEndAt: byteOffset)
    }

    /// `bigEndianWord` for a word not wholly inside: kept out of line, so that the common
    /// case inlines into the decoding loops.
    @usableFromInline @inline(never) func bigEndianWord(nearEndAt byteOffset: Int) -> UInt64 {
        var word: UInt64 = 0
        for i in 0..<8 where byteOffset + i >= 0 && byteOffset + i < count {
            word |= UInt64(base.load(fromByteOffset: byteOffset + i, as: UInt8.self)) << (56 - 8 * i)
        }
        return word
    }

    /// 8 bytes from `byteOffset` as a little-endian word.
    @inlinable func littleEndianWord(at byteOffset: Int) -> UInt64 {
        if byteOffset >= 0 && byteOffset + 8 <= count {
            return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byteOffset, as: UInt64.self))
        }
        return bigEndianWord(at: byteOffset).byteSwapped
    }

    /// `bitCount` (≤ 56) bits starting at bit `offset`, most significant first.
    @inlinable func field(at offset: Int, bitCount: Int) -> UInt64 {
        if bitCount == 0 { return 0 }
        let word = bigEndianWord(at: offset >> 3) << UInt64(offset & 7)
        return word >> UInt64(64 - bitCount)
    }

    /// 64 bits starting at bit `offset`, most significant first.
    @inlinable func word(atBit offset: Int) -> UInt64 {
        let byteOffset = offset >> 3, shift = UInt64(offset & 7)
        let high = bigEndianWord(at: byteOffset) << shift
        return shift == 0 ? high : high | UInt64(byte(at: byteOffset + 8)) >> (8 - shift)
    }

    /// 256 bits starting at bit `offset`, most significant first, as four words: a record
    /// and its count, in the range route's hot loop. Inside the value (all but its last
    /// records) it costs five loads and funnel shifts, with one bounds check for all.
    @inlinable @inline(__always) func words(atBit offset: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        let byteOffset = offset >> 3
        guard byteOffset >= 0, byteOffset + 40 <= count else {
            return (word(atBit: offset), word(atBit: offset + 64), word(atBit: offset + 128), word(atBit: offset + 192))
        }
        let shift = UInt64(offset & 7)
        @inline(__always) func load(_ index: Int) -> UInt64 {
            UInt64(bigEndian: base.loadUnaligned(fromByteOffset: byteOffset + 8 * index, as: UInt64.self))
        }
        let w0 = load(0), w1 = load(1), w2 = load(2), w3 = load(3), w4 = load(4)
        // `(next >> 1) >> (63 − shift)` is `next >> (64 − shift)`, and 0 when the shift is 0.
        return (
            w0 &<< shift | (w1 &>> 1) &>> (63 &- shift), w1 &<< shift | (w2 &>> 1) &>> (63 &- shift),
            w2 &<< shift | (w3 &>> 1) &>> (63 &- shift), w3 &<< shift | (w4 &>> 1) &>> (63 &- shift)
        )
    }

    /// A little-endian unsigned integer of `width` (1…8) bytes.
    @inlinable func littleEndianInteger(at byteOffset: Int, width: Int) -> UInt64 {
        let word = littleEndianWord(at: byteOffset)
        return width == 8 ? word : word & ((1 << UInt64(width * 8)) - 1)
    }

    @inlinable func byte(at offset: Int) -> UInt8 {
        offset < count ? base.load(fromByteOffset: offset, as: UInt8.self) : 0
    }

    /// A LEB128 varint at `offset`; returns the value and the offset after it, or `nil`
    /// if it runs past the end or is longer than 10 bytes.
    @inlinable func varint(at offset: Int) -> (value: Int, next: Int)? {
        var value: UInt64 = 0, shift: UInt64 = 0, at = offset
        while at < count, shift < 64 {
            let b = base.load(fromByteOffset: at, as: UInt8.self)
            value |= UInt64(b & 0x7F) << shift
            at += 1
            if b & 0x80 == 0 { return value <= UInt64(Int.max) ? (Int(value), at) : nil }
            shift += 7
        }
        return nil
    }
}

/// Writes big-endian bit fields into a buffer sized for them in advance.
struct BitWriter {
    private let bytes: UnsafeMutableRawBufferPointer
    private var position: Int
    private var accumulator: UInt64 = 0
    private var pending = 0

    init(into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        self.bytes = bytes
        self.position = offset
    }

    /// Appends the low `bitCount` (≤ 56) bits of `value`.
    @inline(__always) mutating func write(_ value: UInt64, bitCount: Int) {
        guard bitCount > 0 else { return }
        accumulator |= (value << UInt64(64 - bitCount)) >> UInt64(pending)
        pending += bitCount
        while pending >= 8 {
            bytes[position] = UInt8(truncatingIfNeeded: accumulator >> 56)
            position += 1
            accumulator <<= 8
            pending -= 8
        }
    }

    /// Writes the last partial byte, padded with zero bits.
    mutating func finish() {
        if pending > 0 { bytes[position] = UInt8(truncatingIfNeeded: accumulator >> 56) }
        accumulator = 0
        pending = 0
    }
}

extension Array where Element == UInt8 {
    mutating func appendVarint(_ value: Int) {
        var v = UInt64(value)
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }
}
