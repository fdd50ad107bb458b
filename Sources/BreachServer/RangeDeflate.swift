import BreachIndex
import CDeflate

/// A range's rows as a writer takes them: a function that hands each chunk of them, in
/// order, to the function it is given (`BreachIndex.forEachRangeRows`).
typealias RangeRowChunks = ((UnsafeBufferPointer<RangeRow>) -> Void) -> Void

/// A gzip writer for range answers, coded straight from a range's rows in one pass with one
/// constant Huffman code (`RowCode`). The code is fixed in advance from the characters'
/// frequencies in range text (hex and decimal digits four bits, the rest five), which
/// compresses as well as zlib's per-answer code, and is sent in each stream as a
/// dynamic-block header (RFC 1951 §3.2.7), so every inflater reads it. gzip's CRC-32 is of
/// the text, so each chunk of rows is also written as text, into a buffer that stays in L1,
/// for libdeflate's CRC-32, which folds the text by carry-less multiplication (≈5 µs an
/// answer at the real density where zlib 1.2's table-driven one took ≈19); the route keeps
/// an unpadded text's CRC-32 (`BreachIndex.rangeTextCRC32(prefix:)`), so that of a prefix's
/// unpadded gzip answers only the first formats its text.
enum RangeDeflate {
    /// The gzip member (RFC 1952) of the range text made of the rows that `forEachChunk`
    /// hands over, in order, in chunks of at most `RangeRow.chunkCount`: `writeRangeBody`'s
    /// text for the same rows. `output` holds `maximumGzipSize(of:)` of the text's longest
    /// length. `knownCRC32`: the text's CRC-32 if known (the same rows were coded before), so
    /// that no text is formatted. Returns the bytes written and the text's CRC-32.
    static func gzip(
        suffixDigits: Int, knownCRC32: UInt32? = nil, into output: UnsafeMutableRawBufferPointer,
        rows forEachChunk: RangeRowChunks
    ) -> (byteCount: Int, textCRC32: UInt32) {
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]  // deflate, no name or time, OS unknown
        for (offset, byte) in header.enumerated() { output[offset] = byte }
        var writer = BitWriter(output: output.baseAddress!, at: header.count)
        writer.add(Self.blockHeader)
        var (crc, length): (UInt32, Int) = (knownCRC32 ?? 0, 0)
        // Room for a chunk's text, only when its CRC-32 must be computed.
        let capacity = knownCRC32 == nil ? RangeRow.linesCapacity(count: RangeRow.chunkCount, digits: suffixDigits) : 0
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 16) { text in
            forEachChunk { rows in
                let continuing = length > 0
                if knownCRC32 == nil {
                    precondition(rows.count <= RangeRow.chunkCount, "the text buffer holds a chunk of rows")
                    let written = RangeRow.writeLines(
                        rows, digits: suffixDigits, continuing: continuing, to: text.baseAddress!)
                    crc = libdeflate_crc32(crc, text.baseAddress, written)
                }
                length += Self.code.write(rows, suffixDigits: suffixDigits, continuing: continuing, to: &writer)
            }
        }
        let endOfBlock = Self.code.codes[256]
        writer.add([(UInt64(endOfBlock.bits), endOfBlock.length)])
        var end = writer.finish()
        // CRC-32 and ISIZE (the length modulo 2³²), little-endian (RFC 1952 §2.3.1).
        for value in [crc, UInt32(truncatingIfNeeded: length)] {
            output.storeBytes(of: value.littleEndian, toByteOffset: end, as: UInt32.self)
            end += 4
        }
        assert(end + 8 <= output.count, "maximumGzipSize(of:) bounds every stream")
        return (end, crc)
    }

    /// Bytes enough for `gzip` of `count` bytes of text: five bits a character at most, the
    /// header, trailer and the writer's 8 bytes of room.
    static func maximumGzipSize(of count: Int) -> Int {
        10 + 64 + (count * 5 + 7) / 8 + 8 + 8
    }

    /// Bit lengths of the literal/length code (RFC 1951 §3.2.5: 0–255 literals, 256 end of
    /// block; no lengths, since nothing repeats). Hex and decimal digits, most of the text, get
    /// four bits (0–9, A, B); C–F, `:`, CR, LF and the end of block five: a complete code.
    private static let literalLengths: [UInt8] = {
        var lengths = [UInt8](repeating: 0, count: 257)
        for byte in Array("0123456789AB".utf8) { lengths[Int(byte)] = 4 }
        for byte in Array("CDEF:\r\n".utf8) { lengths[Int(byte)] = 5 }
        lengths[256] = 5
        return lengths
    }()

    private static let code = RowCode(lengths: literalLengths)

    /// The start of the one block (RFC 1951 §3.2.3, §3.2.7): final, dynamic; 257 literal/length
    /// codes and one distance code (length 1: zlib refuses an empty or incomplete distance
    /// code of any other shape); then the code lengths, run-length coded with the code-length
    /// code, as (bits, count) in stream order.
    private static let blockHeader: [(bits: UInt64, count: Int)] = {
        // Code lengths of both codes, in one sequence (§3.2.7), as code-length symbols with
        // their extra bits: 17 and 18 repeat a zero 3–10 and 11–138 times.
        let lengths = literalLengths + [1]
        var symbols: [(symbol: Int, extra: UInt64, extraCount: Int)] = []
        var index = 0
        while index < lengths.count {
            var run = 0
            while index + run < lengths.count, lengths[index + run] == 0, run < 138 { run += 1 }
            if run >= 11 {
                symbols.append((18, UInt64(run - 11), 7))
            } else if run >= 3 {
                symbols.append((17, UInt64(run - 3), 3))
            } else {
                run = 1
                symbols.append((Int(lengths[index]), 0, 0))
            }
            index += run
        }
        // The code-length code: the six symbols used, two in two bits and four in three (complete).
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for (symbol, length) in [(4, 2), (5, 2), (0, 3), (1, 3), (17, 3), (18, 3)] {
            codeLengthLengths[symbol] = UInt8(length)
        }
        precondition(symbols.allSatisfy { codeLengthLengths[$0.symbol] > 0 })
        let codeLengthCodes = HuffmanCode.words(lengths: codeLengthLengths)
        // Code-length code lengths are sent in this order, up to the last non-zero (§3.2.7).
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        let sent = order.lastIndex { codeLengthLengths[$0] > 0 }! + 1
        var fields: [(bits: UInt64, count: Int)] = [(1, 1), (2, 2)]  // BFINAL, BTYPE 10 (dynamic)
        fields += [(UInt64(257 - 257), 5), (UInt64(1 - 1), 5), (UInt64(sent - 4), 4)]  // HLIT, HDIST, HCLEN
        fields += order.prefix(sent).map { (UInt64(codeLengthLengths[$0]), 3) }
        for (symbol, extra, extraCount) in symbols {
            fields.append((UInt64(codeLengthCodes[symbol].bits), codeLengthCodes[symbol].length))
            if extraCount > 0 { fields.append((extra, extraCount)) }
        }
        return fields
    }()
}
