import BreachHash
import BreachIndex
import SyntheticData
import Testing

@testable import BreachDownload
@testable import BreachServer

/// Compressed answers coded straight from a range's rows (`RangeDeflate`, `RangeBrotli`),
/// checked against zlib's and libbrotlidec's decoders (zlib checks gzip's CRC-32 and
/// length): they decode to the text `writeRangeBody` writes for the same rows. Random rows
/// come from a seed drawn per test and named in every failure.
@Suite struct RangeRowCodingTests {
    static let codings = [ContentCoding.gzip, .br]

    /// Random rows in suffix order: counts of 0 (padding), one and two digits (the table),
    /// and up to twenty (coded word by word).
    static func randomRows(_ count: Int, digits: Int, using random: inout SplitMix64) -> [RangeRow] {
        let (secondMask, thirdMask) = RangeSuffix.masks(suffixBits: digits * 4)
        let suffixes = (0..<count).map { _ in
            RangeSuffix(first: random.next(), second: random.next() & secondMask, third: random.next() & thirdMask)
        }
        let counts: [UInt64] = [0, 1, 9, 10, 99, 100, 12_345, 1_000_000_000, .max]
        return suffixes.sorted().map { suffix in
            let count =
                Bool.random(using: &random)
                ? UInt64.random(in: 0..<100, using: &random) : counts.randomElement(using: &random)!
            return RangeRow(suffix: suffix, count: count)
        }
    }

    /// The rows' text, written here from the suffixes' nibbles: `SUFFIX:COUNT` lines, CRLF between.
    static func text(of rows: [RangeRow], digits: Int) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        let lines = rows.map { row in
            let words = [row.suffix.first, row.suffix.second, row.suffix.third]
            let suffix = (0..<digits).map { hex[Int(words[$0 / 16] >> UInt64(60 - 4 * ($0 % 16)) & 15)] }
            return suffix + Array(":\(row.count)".utf8)
        }
        return Array(lines.joined(separator: Array("\r\n".utf8)))
    }

    /// The stream in `coding` of the rows `rows` hands over (a brotli header first written
    /// for `estimate` bytes of text, at most `length`; gzip's with the text's CRC-32 given as
    /// `knownCRC32`, or computed), checked to stay within the writer's bound.
    static func stream(
        _ coding: ContentCoding, length: Int, digits: Int, estimate: Int, knownCRC32: UInt32? = nil,
        rows: RangeRowChunks
    ) throws -> [UInt8] {
        let bound = coding == .gzip ? RangeDeflate.maximumGzipSize(of: length) : RangeBrotli.maximumSize(of: length)
        var output = [UInt8](repeating: 0, count: bound)
        let size = output.withUnsafeMutableBytes { output in
            coding == .gzip
                ? RangeDeflate.gzip(suffixDigits: digits, knownCRC32: knownCRC32, into: output, rows: rows).byteCount
                : RangeBrotli.brotli(suffixDigits: digits, estimatedLength: estimate, into: output, rows: rows)
        }
        let end = try #require(size)
        #expect(end + 8 <= bound)
        return Array(output[..<end])
    }

    /// The stream of `rows` in `coding`, handed over in chunks of `chunk` rows.
    static func stream(
        _ coding: ContentCoding, _ rows: [RangeRow], digits: Int, estimate: Int = 0, knownCRC32: UInt32? = nil,
        chunk: Int = RangeRow.chunkCount
    ) throws -> [UInt8] {
        let length = text(of: rows, digits: digits).count
        return try rows.withUnsafeBufferPointer { rows in
            try stream(coding, length: length, digits: digits, estimate: estimate, knownCRC32: knownCRC32) { body in
                for start in stride(from: 0, to: rows.count, by: chunk) {
                    body(UnsafeBufferPointer(rebasing: rows[start..<min(start + chunk, rows.count)]))
                }
            }
        }
    }

    static func decoded(_ stream: [UInt8], _ coding: ContentCoding) throws -> [UInt8] {
        try ContentDecoding.decode(stream, coding: coding.rawValue, limit: 4 << 20)
    }

    /// The CRC-32 in a gzip member's trailer (RFC 1952 §2.3.1: before the length, little-endian).
    static func trailerCRC32(_ gzip: [UInt8]) -> UInt32 {
        gzip[(gzip.count - 8)..<(gzip.count - 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Every size up to a thousand rows and past the real density, SHA-1 and NTLM, in chunks
    /// of one row, of a few and of the index's size.
    @Test(arguments: codings, [35, 27])
    func rowsDecodeToTheirTextAtEverySize(_ coding: ContentCoding, _ digits: Int) throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        for count in Array(0...1000) + [1907, 4000] {
            let rows = Self.randomRows(count, digits: digits, using: &random)
            let text = Self.text(of: rows, digits: digits)
            let chunk = [1, 7, RangeRow.chunkCount][count % 3]
            let stream = try Self.stream(coding, rows, digits: digits, estimate: text.count, chunk: chunk)
            try #require(try Self.decoded(stream, coding) == text, "\(count) rows, seed \(seed)")
            // Little more than half the text once the headers are paid for (≈52 % at the real density).
            if count >= (coding == .gzip ? 500 : 100) {
                #expect(Double(stream.count) < Double(text.count) * 0.55, "seed \(seed)")
            }
        }
    }

    /// Text lengths where a brotli header's fields change shape: the nibbles of the
    /// meta-block length (4 up to 65,536 bytes, then 5, then 6) and the insert length codes'
    /// ranges, up to the last code (22,594 bytes on); gzip at the same lengths. Rows of
    /// one-digit counts, then more digits to reach the length.
    @Test(arguments: codings, [35, 27])
    func rowsDecodeAtEveryHeaderBoundary(_ coding: ContentCoding, _ digits: Int) throws {
        var random = SplitMix64(seed: UInt64(digits))
        let lengths = [2113, 2114, 6209, 6210, 22593, 22594, 22595, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1]
        for length in [digits + 2, digits + 3, digits + 4] + lengths {
            // A row is digits + 2 bytes with a one-digit count, and 2 more after another.
            let count = (length + 2) / (digits + 4)
            var rows = Self.randomRows(count, digits: digits, using: &random).map {
                RangeRow(suffix: $0.suffix, count: 1)
            }
            var missing = length - (count * (digits + 4) - 2)
            for index in rows.indices where missing > 0 {
                let extra = min(missing, 19)
                rows[index].count = UInt64(String(repeating: "1", count: extra + 1))!
                missing -= extra
            }
            let text = Self.text(of: rows, digits: digits)
            try #require(text.count == length)
            for estimate in coding == .br ? [length, 0] : [0] {
                let stream = try Self.stream(coding, rows, digits: digits, estimate: estimate)
                #expect(try Self.decoded(stream, coding) == text, "\(length) bytes, estimate \(estimate)")
            }
        }
    }

    /// A brotli header holds the text's length, known only once the rows are coded: an estimate
    /// off either way (rewritten in place when the length takes as many bits, coded again
    /// when not, as across 65,536 bytes) gives the same bytes.
    @Test(arguments: [35, 27])
    func aWrongLengthEstimateGivesTheSameStream(_ digits: Int) throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        for count in [1, 100, 1680, 1681, 1907, 2500] {
            let rows = Self.randomRows(count, digits: digits, using: &random)
            let text = Self.text(of: rows, digits: digits)
            let exact = try Self.stream(.br, rows, digits: digits, estimate: text.count)
            #expect(try Self.decoded(exact, .br) == text, "seed \(seed)")
            for estimate in [0, 1, text.count - 1, text.count + 1, text.count / 2, text.count * 2, 1 << 24, .max] {
                #expect(
                    try Self.stream(.br, rows, digits: digits, estimate: estimate) == exact,
                    "\(count) rows, estimate \(estimate), seed \(seed)")
            }
        }
    }

    /// A range's rows as the index hands them over, padding merged in, decode to
    /// `writeRangeBody`'s text with the same padding: real prefixes, SHA-1 and NTLM, and an
    /// empty one; a brotli header written for no length and rewritten, or for one byte too many.
    @Test(arguments: codings)
    func aRangesRowsDecodeToItsText(_ coding: ContentCoding) throws {
        let fixture = try ServerFixture()
        let snapshot = fixture.indexes.snapshot
        for (index, prefixText) in [(snapshot.sha1, "5BAA6"), (snapshot.ntlm!, "8846F"), (snapshot.sha1, "00000")] {
            let prefix = try #require(BreachIndex.rangePrefix(prefixText))
            for padded in [false, true] {
                let padding =
                    padded ? RangePadding.suffixes(padding: index.entryCount(withPrefix: prefix), kind: index.kind) : []
                let capacity = index.rangeBodyCapacity(prefix: prefix, paddingCount: padding.count)
                var text = [UInt8](repeating: 0, count: capacity)
                let length = padding.withUnsafeBufferPointer { padding in
                    text.withUnsafeMutableBytes { index.writeRangeBody(prefix: prefix, padding: padding, to: $0) }
                }
                text.removeSubrange(length...)
                for estimate in coding == .br ? [0, length + 1] : [0] {
                    let stream = try padding.withUnsafeBufferPointer { padding in
                        try Self.stream(
                            coding, length: capacity, digits: index.kind.suffixHexDigitCount, estimate: estimate
                        ) { index.forEachRangeRows(prefix: prefix, padding: padding, $0) }
                    }
                    #expect(
                        try Self.decoded(stream, coding) == text,
                        "\(prefixText), padded: \(padded), estimate \(estimate)")
                }
            }
        }
    }

    /// Given its text's CRC-32 (the same rows coded before), gzip writes the same bytes and
    /// that CRC-32 in its trailer, computing none: a CRC-32 given wrong is what it carries.
    @Test func gzipWithItsTextsCRC32KnownWritesItInsteadOfComputingIt() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        for count in [0, 1, 63, 64, 65, 574, 1907] {
            let rows = Self.randomRows(count, digits: 35, using: &random)
            let computed = try Self.stream(.gzip, rows, digits: 35)
            let crc = Self.trailerCRC32(computed)
            #expect(
                try Self.stream(.gzip, rows, digits: 35, knownCRC32: crc) == computed, "\(count) rows, seed \(seed)")
            let given = try Self.stream(.gzip, rows, digits: 35, knownCRC32: ~crc)
            #expect(Self.trailerCRC32(given) == ~crc, "\(count) rows, seed \(seed)")
            #expect(given[..<(given.count - 8)] == computed[..<(computed.count - 8)], "\(count) rows, seed \(seed)")
            #expect(given.suffix(4) == computed.suffix(4), "the length, \(count) rows, seed \(seed)")
        }
    }

    /// The route keeps an unpadded range text's CRC-32 from its first gzip answer, in the index,
    /// and codes the range's later gzip answers with it; a padded text (fresh padding rows
    /// each time, as an empty range always gets) is neither kept nor taken from there.
    @Test func gzipAnswersAfterARangesFirstTakeItsTextsCRC32FromTheIndex() throws {
        let fixture = try ServerFixture()
        let index = fixture.indexes.snapshot.sha1
        let prefix = try #require(BreachIndex.rangePrefix("5BAA6"))  // 574 rows: padded when asked
        func gzipAnswer(padded: Bool) -> [UInt8] {
            let representation = RangeRoute.Representation(
                index: index, prefix: prefix, coding: .gzip, addPadding: padded)
            return Array(RangeRoute.answer(representation).body.readableBytesView)
        }
        _ = gzipAnswer(padded: true)
        #expect(index.rangeTextCRC32(prefix: prefix) == nil)
        let empty = try #require(BreachIndex.rangePrefix("00000"))
        #expect(index.entryCount(withPrefix: empty) == 0)
        _ = RangeRoute.answer(.init(index: index, prefix: empty, coding: .gzip, addPadding: false))
        #expect(index.rangeTextCRC32(prefix: empty) == nil)
        let first = gzipAnswer(padded: false)
        let crc = try #require(index.rangeTextCRC32(prefix: prefix))
        #expect(Self.trailerCRC32(first) == crc)
        #expect(try Self.decoded(first, .gzip) == index.rangeBody(prefix: prefix))  // zlib checks the CRC-32
        // What the index holds is what later answers carry: nothing computes it again.
        index.recordRangeTextCRC32(~crc, prefix: prefix)
        #expect(Self.trailerCRC32(gzipAnswer(padded: false)) == ~crc)
        _ = try Self.decoded(gzipAnswer(padded: true), .gzip)
    }

    /// A reload serves a new index: the CRC-32s kept for the one before do not carry over.
    @Test func aReloadedIndexStartsWithNoKeptCRC32() async throws {
        let fixture = try ServerFixture()
        let before = fixture.indexes.snapshot.sha1
        let prefix = try #require(BreachIndex.rangePrefix("5BAA6"))
        _ = RangeRoute.answer(.init(index: before, prefix: prefix, coding: .gzip, addPadding: false))
        #expect(before.rangeTextCRC32(prefix: prefix) != nil)
        let after = try await fixture.indexes.reload().sha1
        #expect(after !== before)
        #expect(after.rangeTextCRC32(prefix: prefix) == nil)
    }
}
