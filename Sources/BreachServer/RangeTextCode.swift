/// A constant Huffman code for range text (`SUFFIX:COUNT\r\n` lines: upper-case hex digits,
/// `:`, decimal digits, CRLF), and the writer that codes text with it, for the gzip writer
/// (`RangeDeflate`).
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
        codes = HuffmanCode.words(lengths: lengths)
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
}
