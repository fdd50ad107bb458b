import BreachIndex

extension RangeBrotli {
    /// Codes rows into a stream whose header `RowCode.header` wrote: each row but the last
    /// ends with the switches to the next one's hex digits, so a row is held back until the
    /// next arrives (or `finish`) to know which it is.
    struct RowWriter {
        let code: RowCode
        /// Bytes of text coded.
        private(set) var length = 0
        private var pending: RangeRow?

        init(code: RowCode) { self.code = code }

        mutating func write(_ rows: UnsafeBufferPointer<RangeRow>, to output: inout BitWriter) {
            guard let last = rows.last else { return }
            // A local copy, so the writer's state stays in registers through the loop.
            var writer = output
            defer { output = writer }
            if let pending { length &+= code.write(pending, followed: true, to: &writer) }
            for row in rows.dropLast() { length &+= code.write(row, followed: true, to: &writer) }
            pending = last
        }

        mutating func finish(to writer: inout BitWriter) {
            if let pending { length += code.write(pending, followed: false, to: &writer) }
            pending = nil
        }
    }

    /// The codes of one suffix length (35 hex digits, SHA-1; 27, NTLM) and the stream header
    /// they make. (`@unchecked Sendable`: its table is written once, in `init`, and only read
    /// after.)
    struct RowCode: @unchecked Sendable {
        static let sha1 = RowCode(suffixDigits: 35)
        static let ntlm = RowCode(suffixDigits: 27)

        static func forDigits(_ digits: Int) -> RowCode {
            precondition(digits == 35 || digits == 27, "rows are coded for SHA-1 and NTLM suffixes")
            return digits == 35 ? sha1 : ntlm
        }

        let suffixDigits: Int
        /// What follows a suffix, for any count.
        private let endings: Endings
        /// The same for each count below 100, in a row that another follows.
        private let followedEndings: CountEndings
        /// The meta-block header from NBLTYPESL to the literal trees (§9.2, after MLEN).
        private let blockAndTreeFields: [(bits: UInt64, count: Int)]

        private init(suffixDigits: Int) {
            self.suffixDigits = suffixDigits
            // Literal tree 1: `:`, CR and LF once a row, three bits; decimal digits four.
            var countLengths = [UInt8](repeating: 0, count: 256)
            for byte in Array(":\r\n".utf8) { countLengths[Int(byte)] = 3 }
            for byte in Array("0123456789".utf8) { countLengths[Int(byte)] = 4 }
            let countWords = HuffmanCode.words(lengths: countLengths)
            // The block count code: the hex block's (one length, one bit), then counts of
            // one digit (`:D\r\n`, 4 bytes), two to five (5–8), six to nine, more.
            let hexBlockCode = Self.blockCountCode(suffixDigits).code
            var blockCountLengths = [UInt8](repeating: 0, count: 26)
            for (code, length) in [(hexBlockCode, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5)] {
                blockCountLengths[code] = UInt8(length)
            }
            let blockCountWords = HuffmanCode.words(lengths: blockCountLengths)
            let blockSwitches: [(bits: UInt64, count: Int)] = (0...48).map { count in
                guard count > 0 else { return (0, 0) }
                let code = Self.blockCountCode(count)
                let word = blockCountWords[code.code]
                return (
                    UInt64(word.bits) | UInt64(count - code.base) << UInt64(word.length), word.length + code.extraBits
                )
            }
            // Literal tree 0: the 16 hex digits, four bits each: digit n's word is n, so a
            // suffix's code is its bits reversed (`write`).
            var hexLengths = [UInt8](repeating: 0, count: 256)
            for byte in Array("0123456789ABCDEF".utf8) { hexLengths[Int(byte)] = 4 }
            let hexWords = HuffmanCode.words(lengths: hexLengths)
            for (digit, byte) in Array("0123456789ABCDEF".utf8).enumerated() {
                let reversed = (digit >> 3 & 1) | (digit >> 1 & 2) | (digit << 1 & 4) | (digit << 3 & 8)
                precondition(Int(hexWords[Int(byte)].bits) == reversed, "hex digit n's word is n")
            }
            var fields: [(bits: UInt64, count: Int)] = [
                (1, 4),  // NBLTYPESL 2 (§9.2's variable-length code: 1, then 000)
                (1, 2), (0, 2), (1, 2),  // its block type code: simple, one symbol (1: the other type), no bits
            ]
            fields += Self.complexCode(blockCountLengths)
            fields.append(blockSwitches[suffixDigits])  // BLEN_L, the first hex block's (its type code has no bits)
            fields += [
                (0, 1), (0, 1),  // NBLTYPESI, NBLTYPESD: 1 each
                (0, 2), (0, 4),  // NPOSTFIX, NDIRECT
                (0, 2), (0, 2),  // the literal block types' context modes (LSB6; one tree each makes them moot)
                (1, 4),  // NTREESL 2
                // The literal context map (§7.3): no run-length codes; a simple code of the
                // two trees, one bit each; 64 contexts of block type 0 to tree 0, 64 of type 1
                // to tree 1; no move-to-front.
                (0, 1), (1, 2), (1, 2), (0, 1), (1, 1),
                (0, 32), (0, 32), (0xFFFF_FFFF, 32), (0xFFFF_FFFF, 32), (0, 1),
                (0, 1),  // NTREESD 1
            ]
            fields += Self.complexCode(hexLengths) + Self.complexCode(countLengths)
            blockAndTreeFields = fields
            let endings = Endings(suffixDigits: suffixDigits, countWords: countWords, blockSwitches: blockSwitches)
            self.endings = endings
            followedEndings = CountEndings { count in
                var words: [(bits: UInt64, count: UInt64)] = []
                _ = endings.forEachWord(count: count, followed: true) { words.append(($0, $1)) }
                return words
            }
        }

        /// The fields before the literals of a stream of `length` (1…16 MiB) bytes of text: the
        /// stream header, one last meta-block's header and its one command.
        func header(length: Int) -> [(bits: UInt64, count: Int)] {
            // WBITS 16 (§9.1): nothing is copied, so any window serves. MLEN - 1 in the
            // fewest nibbles that hold it, four at least (§9.2).
            let nibbles = max(4, ((Int.bitWidth - (length - 1).leadingZeroBitCount) + 3) / 4)
            var fields: [(bits: UInt64, count: Int)] = [
                (0, 1), (1, 1), (0, 1), (UInt64(nibbles - 4), 2),  // WBITS, ISLAST, not ISLASTEMPTY, MNIBBLES
                (UInt64(length - 1), nibbles * 4),
            ]
            fields += blockAndTreeFields
            // The insert-and-copy code: one symbol, for insert length code `insert.code` and
            // copy length code 0 (§5's table of cells); then the distance code: one symbol too
            // (§3.4). The one command: its insert length's extra bits (its symbol takes none),
            // then copy length code 0's (none); the meta-block ends with the literals (§9.3).
            let insert = Self.insertLengthCode(length)
            let cell = [128, 256, 448][insert.code >> 3]
            fields += [(1, 2), (0, 2), (UInt64(cell + (insert.code & 7) << 3), 10)]
            fields += [(1, 2), (0, 2), (0, 6)]
            fields.append((UInt64(length - insert.base), insert.extraBits))
            return fields
        }

        /// Codes `row`; `followed`: another row comes after it. Returns the bytes of its text.
        @inline(__always) func write(_ row: RangeRow, followed: Bool, to writer: inout BitWriter) -> Int {
            // Digit n's word is n, most significant bit first: the suffix's bits reversed.
            writer.addWord(Self.reversed(row.suffix.first))
            if suffixDigits == 35 {
                writer.addWord(Self.reversed(row.suffix.second))
                writer.add(Self.reversed(row.suffix.third) & 0xFFF, count: 12)
            } else {
                writer.add(Self.reversed(row.suffix.second) & (1 << 44 - 1), count: 44)
            }
            writer.flush()
            guard followed, CountEndings.isTabled(row.count) else {
                return suffixDigits
                    + endings.forEachWord(count: row.count, followed: followed) {
                        writer.add($0, count: $1)
                        writer.flush()
                    }
            }
            let ending = followedEndings[row.count]
            writer.add(UInt64(ending.bits), count: UInt64(ending.length))
            writer.flush()
            return suffixDigits &+ 3 &+ Int(ending.digits)
        }

        /// The codes of what follows a row's suffix: a block switch, `:COUNT`, and in a row
        /// that another follows, CRLF and the switch back to hex digits.
        struct Endings {
            let suffixDigits: Int
            /// The second tree's words (`:`, decimal digits, CR, LF), by byte.
            let countWords: [(bits: UInt16, length: Int)]
            /// For each block length (1…48): the switch to a block of that many literals, its
            /// bits and their number (§6: the type code, no bits; the block count code and its
            /// extra bits).
            let blockSwitches: [(bits: UInt64, count: Int)]

            /// What follows a row's suffix, word by word to `body` (each at most 56 bits, with
            /// their number): the switch to the count's block, `:COUNT`, and if `followed`, CRLF
            /// and the switch to the next row's hex digits. Returns the bytes of text after the
            /// suffix. (Allocates nothing: rows with counts of 100 or more come here.)
            @inline(__always) func forEachWord(
                count: UInt64, followed: Bool, _ body: (UInt64, UInt64) -> Void
            ) -> Int {
                func word(_ byte: UInt8) -> (UInt64, UInt64) {
                    (UInt64(countWords[Int(byte)].bits), UInt64(countWords[Int(byte)].length))
                }
                let digitCount = DecimalText.digitCount(count)
                let textCount = 1 + digitCount + (followed ? 2 : 0)
                let start = blockSwitches[textCount], colon = word(UInt8(ascii: ":"))
                body(start.bits | colon.0 << UInt64(start.count), UInt64(start.count) + colon.1)
                _ = DecimalText.forEachDigit(of: count) { body(word($0).0, word($0).1) }
                if followed {
                    let (carriageReturn, lineFeed) = (word(0x0D), word(0x0A))
                    let next = blockSwitches[suffixDigits]
                    body(
                        carriageReturn.0 | lineFeed.0 << carriageReturn.1 | next.bits
                            << (carriageReturn.1 + lineFeed.1),
                        carriageReturn.1 + lineFeed.1 + UInt64(next.count))
                }
                return textCount
            }
        }

        /// The block count code (§6) whose range holds `count` (1…48 here): its base and extra bits.
        private static func blockCountCode(_ count: Int) -> (code: Int, base: Int, extraBits: Int) {
            let bases = [1, 5, 9, 13, 17, 25, 33, 41, 49]
            let extraBits = [2, 2, 2, 2, 3, 3, 3, 3]
            let code = bases.lastIndex { $0 <= count }!
            precondition(code < extraBits.count, "blocks here are 48 literals at most")
            return (code, bases[code], extraBits[code])
        }

        /// The insert length code (§5) whose range holds `length`: its base and extra bits.
        private static func insertLengthCode(_ length: Int) -> (code: Int, base: Int, extraBits: Int) {
            let extraBits = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 12, 14, 24]
            let bases = [
                0, 1, 2, 3, 4, 5, 6, 8, 10, 14, 18, 26, 34, 50, 66, 98, 130, 194, 322, 578, 1090, 2114, 6210, 22594,
            ]
            let code = bases.lastIndex { $0 <= length }!
            return (code, bases[code], extraBits[code])
        }

        /// The bits of `value` in reverse order (LLVM makes it a byte swap and three swaps of
        /// 4, 2 and 1 bits).
        @inline(__always) static func reversed(_ value: UInt64) -> UInt64 {
            var bits = value.byteSwapped
            bits = (bits & 0x0F0F_0F0F_0F0F_0F0F) &<< 4 | (bits &>> 4) & 0x0F0F_0F0F_0F0F_0F0F
            bits = (bits & 0x3333_3333_3333_3333) &<< 2 | (bits &>> 2) & 0x3333_3333_3333_3333
            return (bits & 0x5555_5555_5555_5555) &<< 1 | (bits &>> 1) & 0x5555_5555_5555_5555
        }

        /// `lengths` (an alphabet's code lengths, a complete code) as a complex prefix code
        /// (§3.5): HSKIP 0; the code-length code (a complete code of the code-length symbols
        /// used, each as long as their number needs); then each length in it, up to the last
        /// one that completes the code, runs of zeros as symbol 17 (3 extra bits, runs of
        /// 3–10; two in a row multiply: (first − 2) · 8 + second + 3, up to 74).
        static func complexCode(_ lengths: [UInt8]) -> [(bits: UInt64, count: Int)] {
            // The lengths as code-length symbols, with their extra bits.
            var symbols: [(symbol: Int, extra: UInt64)] = []
            var (at, space) = (0, 1 << 15)
            while space > 0 {
                if lengths[at] > 0 {
                    symbols.append((Int(lengths[at]), 0))
                    space -= (1 << 15) >> Int(lengths[at])
                    at += 1
                    continue
                }
                var run = 0
                while lengths[at + run] == 0 { run += 1 }
                precondition(run <= 74, "a run of zeros takes two 17s at most here")
                switch run {
                case 1, 2: symbols += Array(repeating: (0, 0), count: run)
                case 3...10: symbols.append((17, UInt64(run - 3)))
                default:
                    let first = (run - 3) / 8 + 2
                    symbols += [(17, UInt64(first - 3)), (17, UInt64(run - 3 - (first - 2) * 8))]
                }
                at += run
            }
            // The code-length code: m symbols in a complete code of k = ⌈log₂ m⌉ bits, 2^k − m
            // of them a bit shorter.
            let used = Set(symbols.map(\.symbol)).sorted()
            // (One symbol alone would need a code of no bits, which §3.5 spells otherwise.)
            precondition(used.count >= 2, "the code-length code has two symbols at least")
            let bits = Int.bitWidth - (used.count - 1).leadingZeroBitCount
            var codeLengthLengths = [UInt8](repeating: 0, count: 18)
            for (place, symbol) in used.enumerated() {
                codeLengthLengths[symbol] = UInt8(place < (1 << bits) - used.count ? bits - 1 : bits)
            }
            // The code-length code's lengths, in their order of transmission until it is
            // complete, each in the fixed variable-length code (value, bits; read LSB first).
            let fixed: [UInt8: (UInt64, Int)] = [0: (0, 2), 1: (7, 4), 2: (3, 3), 3: (2, 2), 4: (1, 2), 5: (15, 4)]
            var fields: [(bits: UInt64, count: Int)] = [(0, 2)]  // HSKIP
            var codeSpace = 32
            for symbol in [1, 2, 3, 4, 0, 5, 17, 6, 16, 7, 8, 9, 10, 11, 12, 13, 14, 15] where codeSpace > 0 {
                let length = codeLengthLengths[symbol]
                fields.append(fixed[length]!)
                if length > 0 { codeSpace -= 32 >> length }
            }
            let codeLengthCodes = HuffmanCode.words(lengths: codeLengthLengths)
            for (symbol, extra) in symbols {
                fields.append((UInt64(codeLengthCodes[symbol].bits), codeLengthCodes[symbol].length))
                if symbol == 17 { fields.append((extra, 3)) }
            }
            return fields
        }
    }
}
