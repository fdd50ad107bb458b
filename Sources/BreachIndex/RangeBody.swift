import BreachHash

/// The bits of a hash after its 20-bit range prefix (140 for SHA-1, 108 for NTLM),
/// left-aligned in three words with zeros past the end, so suffixes sort as their hashes do.
public struct RangeSuffix: Comparable, Sendable {
    public var first: UInt64
    public var second: UInt64
    public var third: UInt64

    @inlinable public init(first: UInt64, second: UInt64, third: UInt64) {
        self.first = first
        self.second = second
        self.third = third
    }

    /// Masks that keep a suffix of `suffixBits` bits in the second and third words.
    @inlinable public static func masks(suffixBits: Int) -> (second: UInt64, third: UInt64) {
        (
            suffixBits >= 128 ? .max : ~0 << UInt64(128 - suffixBits),
            suffixBits <= 128 ? 0 : ~0 << UInt64(192 - suffixBits)
        )
    }

    @inlinable public static func < (a: RangeSuffix, b: RangeSuffix) -> Bool {
        a.first != b.first ? a.first < b.first : a.second != b.second ? a.second < b.second : a.third < b.third
    }
}

/// A row of a range answer: a suffix and its count (0 for a padding row).
public struct RangeRow: Sendable {
    /// Rows a chunk of `BreachIndex.forEachRangeRows` holds at most: 2 KiB, within L1.
    public static let chunkCount = 64

    public var suffix: RangeSuffix
    public var count: UInt64

    @inlinable public init(suffix: RangeSuffix, count: UInt64) {
        self.suffix = suffix
        self.count = count
    }

    /// Bytes enough for `writeLines` of `count` rows with `digits`-digit suffixes.
    public static func linesCapacity(count: Int, digits: Int) -> Int {
        count * (2 + digits + 1 + 20) + RangeLineWriter.scratch
    }

    /// Writes `rows` as `writeRangeBody` writes them (`SUFFIX:COUNT` lines, CRLF between);
    /// `continuing`: rows came before these, so a CRLF comes first. Returns the bytes written.
    public static func writeLines(
        _ rows: UnsafeBufferPointer<RangeRow>, digits: Int, continuing: Bool, to output: UnsafeMutableRawPointer
    ) -> Int {
        let lineBreak = continuing ? 2 : 0
        if continuing { output.storeBytes(of: UInt16(0x0A0D).littleEndian, as: UInt16.self) }
        var writer = RangeLineWriter(output + lineBreak, digits: digits)
        for row in rows { writer.write(row.suffix, count: row.count) }
        return lineBreak + writer.written
    }
}

extension BreachIndex {
    /// The body `GET /range/{prefix}` serves for the 20-bit `prefix`, without padding:
    /// uppercase `SUFFIX:COUNT` lines in hash order, joined by CRLF, none after the last.
    public func rangeBody(prefix: Int) -> [UInt8] {
        let capacity = rangeBodyCapacity(prefix: prefix, paddingCount: 0)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, written in
            written = writeRangeBody(prefix: prefix, to: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// `true` when the index keeps whole hashes, so it can answer range queries and be
    /// exported; a compact index answers checks only.
    public var answersRanges: Bool { format == .full }

    /// How many hashes the 20-bit `prefix` holds.
    public func entryCount(withPrefix prefix: Int) -> Int {
        bucket(prefix)?.layout.entryCount ?? 0
    }

    /// Bytes enough for `writeRangeBody` with `paddingCount` padding rows: the longest
    /// line the bucket's count coding allows, for every row, and a word of scratch.
    public func rangeBodyCapacity(prefix: Int, paddingCount: Int) -> Int {
        let realLine =
            2 + kind.suffixHexDigitCount + 1 + DecimalText.digitCount(bucket(prefix)?.layout.largestCount ?? 1)
        let paddingLine = 2 + kind.suffixHexDigitCount + 2
        return entryCount(withPrefix: prefix) * realLine + paddingCount * paddingLine + RangeLineWriter.scratch
    }

    /// Writes the body of `GET /range/{prefix}` at `output` (at least `rangeBodyCapacity`
    /// bytes; a full index only, ``answersRanges``): the prefix's rows merged with `padding` (ascending suffixes, written with
    /// count 0; one equal to a real suffix is left out), in one pass over the bucket, as
    /// `SUFFIX:COUNT` lines joined by CRLF. Returns the bytes written.
    ///
    /// Hand-written because it is the range route's hot path: an answer at the real
    /// density is ≈1,900 lines, and the decoding and formatting per line is what a
    /// request costs once its answer is not cached (docs/benchmarks.md).
    public func writeRangeBody(
        prefix: Int, padding: UnsafeBufferPointer<RangeSuffix> = .init(start: nil, count: 0),
        to output: UnsafeMutableRawBufferPointer
    ) -> Int {
        var writer = RangeLineWriter(output.baseAddress!, digits: kind.suffixHexDigitCount)
        forEachRow(prefix: prefix, mergedWith: padding) { writer.write($0, count: $1) }
        assert(writer.written <= output.count)
        return writer.written
    }

    /// The CRC-32 (gzip's, RFC 1952) of `writeRangeBody`'s text for `prefix` without padding,
    /// once a writer of it has recorded it (`recordRangeTextCRC32(_:prefix:)`), else `nil`.
    /// gzip's trailer needs it, and computing it means formatting the whole text, a fifth of
    /// a gzip answer's CPU at the real density (docs/benchmarks.md); so it is kept, per index
    /// and prefix, for the next answer made of the same rows.
    package func rangeTextCRC32(prefix: Int) -> UInt32? {
        rangeTextCRC32s[prefix].map { UInt32(truncatingIfNeeded: $0) }
    }

    /// Keeps `crc`, the CRC-32 of `writeRangeBody`'s text for `prefix` without padding, as
    /// computed from this index's rows, for `rangeTextCRC32(prefix:)`.
    package func recordRangeTextCRC32(_ crc: UInt32, prefix: Int) {
        rangeTextCRC32s[prefix] = 1 << 32 | UInt64(crc)  // never 0 ("not known"), whatever the CRC
    }

    /// The rows `writeRangeBody` writes as text, in its order, handed to `body` a chunk of up
    /// to `RangeRow.chunkCount` at a time: for writers of another form (compressed streams
    /// coded straight from the suffixes). A chunk is only valid in `body`.
    public func forEachRangeRows(
        prefix: Int, padding: UnsafeBufferPointer<RangeSuffix> = .init(start: nil, count: 0),
        _ body: (UnsafeBufferPointer<RangeRow>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: RangeRow.self, capacity: RangeRow.chunkCount) { chunk in
            var filled = 0
            forEachRow(prefix: prefix, mergedWith: padding) { suffix, count in
                chunk.initializeElement(at: filled, to: RangeRow(suffix: suffix, count: count))
                filled += 1
                if filled == RangeRow.chunkCount {
                    body(UnsafeBufferPointer(chunk))
                    filled = 0
                }
            }
            if filled > 0 { body(UnsafeBufferPointer(rebasing: chunk[..<filled])) }
        }
    }

    /// The prefix's rows merged with `padding` (ascending suffixes, count 0; one equal to a
    /// real suffix is left out), in one pass over the bucket.
    @inline(__always) private func forEachRow(
        prefix: Int, mergedWith padding: UnsafeBufferPointer<RangeSuffix>, _ body: (RangeSuffix, UInt64) -> Void
    ) {
        precondition(answersRanges, "a compact index keeps no whole hashes to answer ranges with")
        var next = 0
        bucket(prefix)?.forEachSuffix { suffix, count in
            while next < padding.count, padding[next] < suffix {
                body(padding[next], 0)
                next += 1
            }
            if next < padding.count, padding[next] == suffix { next += 1 }
            body(suffix, count)
        }
        while next < padding.count {
            body(padding[next], 0)
            next += 1
        }
    }

    /// `SUFFIX:COUNT` lines for `entries` (in hash order, of one prefix) joined by CRLF.
    public static func rangeBody(_ entries: [HashCount], kind: HashKind) -> [UInt8] {
        let line = 2 + kind.suffixHexDigitCount + 1 + 20
        return [UInt8](unsafeUninitializedCapacity: entries.count * line + RangeLineWriter.scratch) { buffer, written in
            var writer = RangeLineWriter(UnsafeMutableRawPointer(buffer.baseAddress!), digits: kind.suffixHexDigitCount)
            for entry in entries { writer.write(RangeSuffix(entry.digest), count: entry.count) }
            written = writer.written
        }
    }

    /// The 5 uppercase hex digits of a 20-bit prefix.
    public static func rangePrefixText(_ prefix: Int) -> String {
        let digits = String(prefix, radix: 16, uppercase: true)
        return String(repeating: "0", count: 5 - digits.count) + digits
    }

    /// The 20-bit prefix named by 5 hex digits (any case), or `nil`.
    @inlinable public static func rangePrefix(_ text: some StringProtocol) -> Int? {
        guard text.utf8.count == 5 else { return nil }
        var prefix = 0
        for byte in text.utf8 {
            guard let nibble = Hex.nibble(byte) else { return nil }
            prefix = prefix << 4 | Int(nibble)
        }
        return prefix
    }
}

extension RangeSuffix {
    /// The suffix of `digest`.
    init(_ digest: HashDigest) {
        let low = UInt64(digest.low) << 32
        self.init(
            first: digest.high << 20 | digest.middle >> 44, second: digest.middle << 20 | low >> 44, third: low << 20)
    }
}

extension BucketLayout {
    /// A bound on the counts the bucket's coding can hold: what its text may need.
    var largestCount: UInt64 {
        var largest: UInt64 = countBits >= 64 ? .max : 1 << UInt64(countBits)
        if escapeCount > 0 { largest = escapeWidth == 8 ? .max : max(largest, 1 << UInt64(8 * escapeWidth)) }
        return largest
    }
}

/// Writes range lines with vector arithmetic: sixteen hex digits are made in one 16-byte
/// register (each byte's nibbles spread to two bytes, then turned to ASCII in all sixteen at
/// once) and stored together, so a SHA-1 line costs three such steps, a count and a few
/// stores, with no branch or table load per digit. Hand-written because it is the range
/// route's hot path (docs/benchmarks.md). Each line may write up to `scratch` bytes past its
/// end, which the next line or the buffer's slack takes.
struct RangeLineWriter {
    static let scratch = 32

    private let start: UnsafeMutableRawPointer
    private var at: UnsafeMutableRawPointer
    private let digits: Int

    init(_ start: UnsafeMutableRawPointer, digits: Int) {
        self.start = start
        self.at = start
        self.digits = digits
    }

    var written: Int { start.distance(to: at) }

    @inline(__always) mutating func write(_ suffix: RangeSuffix, count: UInt64) {
        if at != start {
            at.storeBytes(of: UInt16(0x0A0D).littleEndian, as: UInt16.self)  // CR LF
            at += 2
        }
        // 35 digits (a SHA-1 suffix), 27 (NTLM), 40 or 32 (whole hashes, for export) in groups
        // of sixteen: the last group's extra digits are overwritten by the colon and the
        // count, or left in the slack.
        Self.storeHex(suffix.first, at: at)
        Self.storeHex(suffix.second, at: at + 16)
        if digits > 32 { Self.storeHex(suffix.third, at: at + 32) }
        at += digits
        at.storeBytes(of: UInt8(ascii: ":"), as: UInt8.self)
        at += 1
        at += DecimalText.write(count, to: at.assumingMemoryBound(to: UInt8.self))
    }

    /// The 16 uppercase hex digits of `value`, most significant first, at `output`: each byte
    /// (most significant first) widened to a 16-bit lane arranged so that its high nibble
    /// comes first in memory and its low nibble second; then each nibble n becomes "0" + n,
    /// plus 7 when n ≥ 10 (n + 6 reaches bit 4). All in 16-bit lanes: x86-64's baseline (SSE2)
    /// shifts no bytes, so a shift of 8-bit lanes costs a mask more, and formatting a range
    /// went from 24.9 to 23.7 µs once none was left (RangeFormatterFloor, docs/benchmarks.md).
    /// Comparisons and selects of Swift's SIMD types (`.>`, `replacing(with:where:)`) are not
    /// made vector code here: the same with them ran 26× slower.
    @inline(__always) static func storeHex(_ value: UInt64, at output: UnsafeMutableRawPointer) {
        let bytes = unsafeBitCast(value.bigEndian, to: SIMD8<UInt8>.self)
        let lanes = SIMD8<UInt16>(truncatingIfNeeded: bytes)
        #if _endian(little)
            let nibbles = (lanes &>> 4 | lanes &<< 8) & 0x0F0F
        #else
            let nibbles = (lanes &<< 4 | lanes) & 0x0F0F
        #endif
        let letters = ((nibbles &+ 0x0606) &>> 4) & 0x0101
        output.storeBytes(
            of: unsafeBitCast(nibbles &+ 0x3030 &+ letters &* 7, to: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
    }
}

/// Decimal formatting without allocation: two digits at a time from a table.
public enum DecimalText {
    @usableFromInline static let pairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Digits in the decimal form of `value` (1…20).
    @inlinable public static func digitCount(_ value: UInt64) -> Int {
        var count = 1, bound: UInt64 = 10
        while count < 20, value >= bound {
            count += 1
            bound &*= 10
        }
        return count
    }

    /// Calls `body` with each ASCII decimal digit of `value`, most significant first; returns
    /// their number. (Allocates nothing: the digits are written on the stack first.)
    @inlinable public static func forEachDigit(of value: UInt64, _ body: (UInt8) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            let count = write(value, to: digits.baseAddress!)
            for digit in digits[..<count] { body(digit) }
            return count
        }
    }

    /// Writes `value` in decimal at `output`; returns the digits written (at most 20).
    @inlinable @inline(__always) public static func write(_ value: UInt64, to output: UnsafeMutablePointer<UInt8>)
        -> Int
    {
        if value < 10 {
            output[0] = UInt8(truncatingIfNeeded: value) + UInt8(ascii: "0")
            return 1
        }
        let table = UnsafeRawPointer(pairs.utf8Start)
        let target = UnsafeMutableRawPointer(output)
        if value < 100 {
            // Most counts in a range: one pair, no digit count.
            target.storeBytes(of: table.loadUnaligned(fromByteOffset: 2 * Int(value), as: UInt16.self), as: UInt16.self)
            return 2
        }
        let count = digitCount(value)
        var v = value, at = count
        while v >= 100 {
            let pair = Int(truncatingIfNeeded: v % 100)
            v /= 100
            at -= 2
            target.storeBytes(
                of: table.loadUnaligned(fromByteOffset: 2 * pair, as: UInt16.self), toByteOffset: at, as: UInt16.self)
        }
        if v >= 10 {
            target.storeBytes(
                of: table.loadUnaligned(fromByteOffset: 2 * Int(v), as: UInt16.self), toByteOffset: 0, as: UInt16.self)
        } else {
            output[0] = UInt8(truncatingIfNeeded: v) + UInt8(ascii: "0")
        }
        return count
    }
}
