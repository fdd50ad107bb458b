import BreachIndex

extension RangeDeflate {
    /// gzip's constant Huffman code for range text (`SUFFIX:COUNT\r\n` lines: upper-case hex
    /// digits, `:`, decimal digits, CRLF), and the writer that codes a range's rows with it,
    /// straight from their suffixes and counts: each byte of a suffix is one table word, its two
    /// hex digits; a count below 100 with its `:` one more.
    ///
    /// Hand-written because it is the hot path of gzip answers: the text is random hex with
    /// nothing to repeat, so a general compressor spends its time finding that out; and coded
    /// from the rows, no text is read back (the text is made, a chunk at a time in L1, only for
    /// a CRC-32 not known yet: `RangeDeflate.gzip`). (`@unchecked Sendable`: its tables are
    /// written once, in `init`, and only read after.)
    struct RowCode: @unchecked Sendable {
        /// Each symbol's code word, bit-reversed for the stream, and its length (0: no word).
        let codes: [(bits: UInt16, length: Int)]
        /// For each byte of a suffix: the words of its two hex digits (high nibble first) in the
        /// low 16 bits and their summed length above. Pointers, not arrays: the loop reads them
        /// without bounds checks or reference counting. Made once per code, kept for the
        /// process's life.
        private let hexPairs: UnsafePointer<UInt32>
        /// For each hex digit's value: its word, with its length above, as in `hexPairs`.
        private let hexSingles: UnsafePointer<UInt32>
        /// For each count below 100: the words of `:` and its decimal digits.
        private let countEndings: CountEndings

        /// The canonical code of the bit lengths of its symbols (bytes first, then any others):
        /// range text's characters in at most 5 bits each, as rows are coded eight hex digits
        /// (at most 40 bits) and a line break at a time.
        init(lengths: [UInt8]) {
            let codes = HuffmanCode.words(lengths: lengths)
            precondition(
                Array("0123456789ABCDEF:\r\n".utf8).allSatisfy { (1...5).contains(codes[Int($0)].length) },
                "range text's characters need words of 1 to 5 bits")
            self.codes = codes
            func words(_ text: String) -> (bits: UInt64, length: UInt64) {
                text.utf8.reduce((0, 0)) { joined, byte in
                    (joined.0 | UInt64(codes[Int(byte)].bits) << joined.1, joined.1 + UInt64(codes[Int(byte)].length))
                }
            }
            let hex = Array("0123456789ABCDEF")
            let hexPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
            for byte in 0..<256 {
                let pair = words(String([hex[byte >> 4], hex[byte & 15]]))
                hexPairs[byte] = UInt32(pair.bits) | UInt32(pair.length) << 16
            }
            let hexSingles = UnsafeMutablePointer<UInt32>.allocate(capacity: 16)
            for nibble in 0..<16 {
                let single = words(String(hex[nibble]))
                hexSingles[nibble] = UInt32(single.bits) | UInt32(single.length) << 16
            }
            (self.hexPairs, self.hexSingles) = (UnsafePointer(hexPairs), UnsafePointer(hexSingles))
            countEndings = CountEndings { count in
                let ending = words(":\(count)")
                return [(ending.bits, ending.length)]
            }
        }

        /// Codes `rows` as `writeRangeBody`'s text codes them; `continuing`: rows were written
        /// before these, so the first of them starts with a line break. Returns the bytes of text
        /// coded. Suffixes of 35 and 27 digits (SHA-1 and NTLM): groups of eight digits, then three.
        func write(
            _ rows: UnsafeBufferPointer<RangeRow>, suffixDigits: Int, continuing: Bool, to output: inout BitWriter
        ) -> Int {
            precondition(suffixDigits == 35 || suffixDigits == 27, "rows are coded for SHA-1 and NTLM suffixes")
            guard !rows.isEmpty else { return 0 }
            // A local copy, so the writer's state stays in registers through the loop.
            var writer = output
            defer { output = writer }
            let (carriageReturn, lineFeed) = (codes[0x0D], codes[0x0A])
            let lineBreak = UInt64(carriageReturn.bits) | UInt64(lineFeed.bits) << UInt64(carriageReturn.length)
            let lineBreakLength = UInt64(carriageReturn.length + lineFeed.length)
            var (breakBits, breakLength) = continuing ? (lineBreak, lineBreakLength) : (0, 0)
            var length = continuing ? 2 * rows.count : 2 * rows.count - 2
            for row in rows {
                let suffix = row.suffix
                // The line break before the row, if any, with its first eight digits (≤ 50 bits).
                let first = eightDigits(UInt32(truncatingIfNeeded: suffix.first &>> 32))
                writer.add(breakBits | first.bits &<< breakLength, count: breakLength &+ first.length)
                writer.flush()
                (breakBits, breakLength) = (lineBreak, lineBreakLength)
                let second = eightDigits(UInt32(truncatingIfNeeded: suffix.first))
                writer.add(second.bits, count: second.length)
                writer.flush()
                let third = eightDigits(UInt32(truncatingIfNeeded: suffix.second &>> 32))
                writer.add(third.bits, count: third.length)
                writer.flush()
                // The last three digits: after a fourth group (SHA-1) or straight after the third.
                let lastThree: UInt64
                if suffixDigits == 35 {
                    let fourth = eightDigits(UInt32(truncatingIfNeeded: suffix.second))
                    writer.add(fourth.bits, count: fourth.length)
                    writer.flush()
                    lastThree = suffix.third &>> 52
                } else {
                    lastThree = suffix.second &>> 20 & 0xFFF
                }
                let pair = hexPairs[Int(truncatingIfNeeded: lastThree &>> 4)]
                let single = hexSingles[Int(truncatingIfNeeded: lastThree & 15)]
                let tail = UInt64(pair & 0xFFFF) | UInt64(single & 0xFFFF) &<< UInt64(pair &>> 16)
                let tailLength = UInt64(pair &>> 16) &+ UInt64(single &>> 16)
                if CountEndings.isTabled(row.count) {
                    let ending = countEndings[row.count]
                    writer.add(
                        tail | UInt64(ending.bits) &<< tailLength, count: tailLength &+ UInt64(ending.length))
                    writer.flush()
                    length &+= suffixDigits &+ 1 &+ Int(ending.digits)
                } else {
                    // Counts of 100 or more, rarer: digit by digit.
                    let colon = codes[Int(UInt8(ascii: ":"))]
                    writer.add(tail | UInt64(colon.bits) &<< tailLength, count: tailLength &+ UInt64(colon.length))
                    writer.flush()
                    length &+= suffixDigits &+ 1
                    length &+= DecimalText.forEachDigit(of: row.count) { digit in
                        writer.add(UInt64(codes[Int(digit)].bits), count: UInt64(codes[Int(digit)].length))
                        writer.flush()
                    }
                }
            }
            return length
        }

        /// The words of the eight hex digits of `value` (most significant first) and their length.
        @inline(__always) private func eightDigits(_ value: UInt32) -> (bits: UInt64, length: UInt64) {
            let words = (
                hexPairs[Int(truncatingIfNeeded: value &>> 24)], hexPairs[Int(truncatingIfNeeded: value &>> 16 & 0xFF)],
                hexPairs[Int(truncatingIfNeeded: value &>> 8 & 0xFF)], hexPairs[Int(truncatingIfNeeded: value & 0xFF)]
            )
            let lengths = (
                UInt64(words.0 &>> 16), UInt64(words.1 &>> 16), UInt64(words.2 &>> 16), UInt64(words.3 &>> 16)
            )
            // The halves are joined apart, then together, so that no shift waits on three others.
            let low = UInt64(words.0 & 0xFFFF) | UInt64(words.1 & 0xFFFF) &<< lengths.0
            let high = UInt64(words.2 & 0xFFFF) | UInt64(words.3 & 0xFFFF) &<< lengths.2
            return (low | high &<< (lengths.0 &+ lengths.1), lengths.0 &+ lengths.1 &+ lengths.2 &+ lengths.3)
        }
    }
}
