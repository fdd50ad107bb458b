/// A constant Huffman code for range text (`SUFFIX:COUNT\r\n` lines: upper-case hex digits,
/// `:`, decimal digits, CRLF), and the writer that codes text with it, for the gzip writer
/// (`RangeDeflate`); its canonical codes and `BitWriter` serve the brotli writer
/// (`RangeBrotli`) too, whose format packs Huffman codes alike (least significant bit first:
/// RFC 1951 §3.1.1 and §3.2.2, RFC 7932 §3.2).
///
/// Hand-written because it is the hot path of compressed answers: the text is random hex
/// with nothing to repeat, so a general compressor spends its time finding that out. The
/// coding loop takes eight bytes a step through a table of byte pairs and stores eight bytes
/// at once, with no branch but the loop's. (`@unchecked Sendable`: its tables are written
/// once, in `init`, and only read after.)
struct RangeTextCode: @unchecked Sendable {
    /// Each symbol's code word, bit-reversed for the stream, and its length (0: no word).
    let codes: [(bits: UInt16, length: Int)]
    /// For each byte: its code word in the low 16 bits and its length above; `unknown` for a
    /// byte without a word.
    private let singles: UnsafePointer<UInt32>
    /// For each pair of bytes, the first in the low 8 bits of the index: both words, the first
    /// in the low bits, and their summed length above (`unknown` if either byte has no word). Range
    /// text touches 19 × 19 of its entries, a few kilobytes. Pointers, not arrays: the loop
    /// reads them without bounds checks or reference counting. Made once per code, kept for
    /// the process's life.
    private let pairs: UnsafePointer<UInt32>

    /// A table word that no byte or pair with words has: a code bit above any pair's (words
    /// are at most 7 bits long) and no length. The loop ORs its table words together and
    /// tests this bit once, at the end.
    private static let unknown: UInt32 = 0x8000

    /// The canonical code of the bit lengths of its symbols (bytes first, then any others),
    /// each at most 7 bits long.
    init(lengths: [UInt8]) {
        precondition(lengths.allSatisfy { $0 <= 7 }, "a pair of code words must leave the unknown bit clear")
        codes = Self.canonicalCodes(lengths: lengths)
        let singles = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        for byte in 0..<256 {
            singles[byte] =
                codes[byte].length == 0 ? Self.unknown : UInt32(codes[byte].bits) | UInt32(codes[byte].length) << 16
        }
        let pairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 << 16)
        for pair in 0..<(1 << 16) {
            let (first, second) = (codes[pair & 0xFF], codes[pair >> 8])
            pairs[pair] =
                first.length == 0 || second.length == 0
                ? Self.unknown
                : (UInt32(first.bits) | UInt32(second.bits) << first.length)
                    | UInt32(first.length + second.length) << 16
        }
        (self.singles, self.pairs) = (UnsafePointer(singles), UnsafePointer(pairs))
    }

    /// Codes `text` into `output`; false if a byte of it has no word (it is not range text),
    /// and then what was written is not a valid stream.
    func write(_ text: UnsafeRawBufferPointer, to output: inout BitWriter) -> Bool {
        // A local copy, so the writer's state stays in registers through the loop.
        var writer = output
        defer { output = writer }
        // The OR of every table word read: `unknown`'s bit is set if a byte had no word.
        var seen: UInt32 = 0
        let count = text.count
        var at = 0
        while at &+ 8 <= count {
            // Four pairs: at most 40 bits, added to the at most 7 held, stored at once. The
            // halves are joined apart, then together, so that no shift waits on three others.
            let eight = UInt64(littleEndian: text.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            let words = (
                pairs[Int(truncatingIfNeeded: eight & 0xFFFF)],
                pairs[Int(truncatingIfNeeded: (eight &>> 16) & 0xFFFF)],
                pairs[Int(truncatingIfNeeded: (eight &>> 32) & 0xFFFF)],
                pairs[Int(truncatingIfNeeded: eight &>> 48)]
            )
            seen |= words.0 | words.1 | words.2 | words.3
            let lengths = (
                UInt64(words.0 &>> 16), UInt64(words.1 &>> 16), UInt64(words.2 &>> 16), UInt64(words.3 &>> 16)
            )
            let low = UInt64(words.0 & 0xFFFF) | UInt64(words.1 & 0xFFFF) &<< lengths.0
            let high = UInt64(words.2 & 0xFFFF) | UInt64(words.3 & 0xFFFF) &<< lengths.2
            writer.add(low | high &<< (lengths.0 &+ lengths.1), count: lengths.0 &+ lengths.1 &+ lengths.2 &+ lengths.3)
            writer.flush()
            at &+= 8
        }
        // Fewer than eight left: at most 35 bits, with the 7 held.
        while at < count {
            let word = singles[Int(text[at])]
            seen |= word
            writer.add(UInt64(word & 0xFFFF), count: UInt64(word &>> 16))
            at &+= 1
        }
        writer.flush()
        return seen & Self.unknown == 0
    }

    /// Canonical Huffman codes from bit lengths (RFC 1951 §3.2.2), each word bit-reversed,
    /// since the stream packs Huffman codes from their most significant bit (§3.1.1).
    static func canonicalCodes(lengths: [UInt8]) -> [(bits: UInt16, length: Int)] {
        let longest = Int(lengths.max() ?? 0)
        var countOfLength = [Int](repeating: 0, count: longest + 1)
        for length in lengths where length > 0 { countOfLength[Int(length)] += 1 }
        var next = [Int](repeating: 0, count: longest + 2)
        var code = 0
        for bits in 1...max(longest, 1) {
            code = (code + countOfLength[bits - 1]) << 1
            next[bits] = code
        }
        return lengths.map { length in
            guard length > 0 else { return (0, 0) }
            let word = next[Int(length)]
            next[Int(length)] += 1
            var reversed = 0
            for bit in 0..<Int(length) where word & (1 << bit) != 0 { reversed |= 1 << (Int(length) - 1 - bit) }
            return (UInt16(reversed), Int(length))
        }
    }
}

/// Bits into bytes, least significant first, eight bytes a store: the buffer it writes to
/// needs 8 bytes of room past the last byte written.
struct BitWriter {
    private let output: UnsafeMutableRawPointer
    private var offset: Int
    /// Bits not yet stored as whole bytes: fewer than 8 after each `flush`.
    private var buffer: UInt64 = 0
    private var count: UInt64 = 0

    init(output: UnsafeMutableRawPointer, at offset: Int) {
        self.output = output
        self.offset = offset
    }

    /// Adds `count` bits; at most 56 held between flushes.
    @inline(__always) mutating func add(_ bits: UInt64, count: UInt64) {
        buffer |= bits &<< self.count
        self.count &+= count
    }

    /// Adds fields of at most 56 bits in all, such as a header's.
    mutating func add(_ fields: [(bits: UInt64, count: Int)]) {
        for field in fields {
            add(field.bits, count: UInt64(field.count))
            flush()
        }
    }

    /// Adds 64 bits, stored at once with those held before them.
    @inline(__always) mutating func addWord(_ bits: UInt64) {
        output.storeBytes(of: (buffer | bits &<< count).littleEndian, toByteOffset: offset, as: UInt64.self)
        offset &+= 8
        // The bits past the word stored: none when none were held (a shift by 64 would be 0 bits).
        buffer = (bits &>> 1) &>> (63 &- count)
    }

    /// Stores the bits held, 8 bytes at once (the partial byte and the zeros past it are
    /// written again by the next store), and keeps the partial byte's bits.
    @inline(__always) mutating func flush() {
        output.storeBytes(of: buffer.littleEndian, toByteOffset: offset, as: UInt64.self)
        offset &+= Int(truncatingIfNeeded: count &>> 3)
        buffer = buffer &>> (count & 56)
        count &= 7
    }

    /// Stores what is left, padded with zeros to a whole byte; returns the offset past it.
    mutating func finish() -> Int {
        flush()
        return offset + (count > 0 ? 1 : 0)
    }
}
