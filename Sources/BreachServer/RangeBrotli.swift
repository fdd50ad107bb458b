/// A brotli writer for range text (RFC 7932), in one pass with one constant Huffman code
/// (`RangeTextCode`): one meta-block of one command that inserts the whole text as literals
/// (range text has nothing to repeat, so a copy would gain nothing), its literal code sent as
/// a complex prefix code and the command and distance codes as simple one-symbol codes that
/// take no bits. Hand-written because the library, at any quality, sets up hash tables and
/// searches for repeats on every answer, and spends longer on that than on the coding.
enum RangeBrotli {
    /// The body of `text` as a brotli stream, or `nil` when `text` holds a byte the code has
    /// no word for (it is not range text) or is longer than one meta-block holds (16 MiB).
    static func brotli(_ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        precondition(output.count >= maximumSize(of: text.count))
        guard text.count <= 1 << 24 else { return nil }
        var writer = BitWriter(output: output.baseAddress!, at: 0)
        writer.add([(0, 1)])  // WBITS 16 (§9.1): nothing is copied, so any window serves
        guard !text.isEmpty else {
            writer.add([(1, 1), (1, 1)])  // ISLAST, ISLASTEMPTY
            return writer.finish()
        }
        // MLEN - 1 in the fewest nibbles that hold it, four at least (§9.2).
        let nibbles = max(4, ((Int.bitWidth - (text.count - 1).leadingZeroBitCount) + 3) / 4)
        writer.add([(1, 1), (0, 1), (UInt64(nibbles - 4), 2)])  // ISLAST, not ISLASTEMPTY, MNIBBLES
        writer.add([(UInt64(text.count - 1), nibbles * 4)])
        writer.add(Self.metaBlockHeader)
        // The command code: one symbol, for insert length code `insert.code` and copy length
        // code 0 (§5's table of cells), then the distance code: one symbol too (§3.4).
        let insert = Self.insertLengthCode(text.count)
        let cell = [128, 256, 448][insert.code >> 3]
        writer.add([(1, 2), (0, 2), (UInt64(cell + (insert.code & 7) << 3), 10)])
        writer.add([(1, 2), (0, 2), (0, 6)])
        // The one command: its insert length's extra bits (its symbol takes none), then copy
        // length code 0's (none); the meta-block ends with the literals (§9.3).
        writer.add([(UInt64(text.count - insert.base), insert.extraBits)])
        guard Self.code.write(text, to: &writer) else { return nil }
        return writer.finish()
    }

    /// Bytes enough for `brotli` of `count` bytes of text: five bits a character at most,
    /// the headers, and the writer's 8 bytes of room.
    static func maximumSize(of count: Int) -> Int {
        64 + (count * 5 + 7) / 8 + 8
    }

    /// Bit lengths of the literal code: hex and decimal digits, most of the text, four bits
    /// (0–9, A–C); D–F, `:`, CR and LF five. Complete, as brotli requires (§3.5).
    private static let literalLengths: [UInt8] = {
        var lengths = [UInt8](repeating: 0, count: 256)
        for byte in Array("0123456789ABC".utf8) { lengths[Int(byte)] = 4 }
        for byte in Array("DEF:\r\n".utf8) { lengths[Int(byte)] = 5 }
        return lengths
    }()

    private static let code = RangeTextCode(lengths: literalLengths)

    /// The insert length code (§5) whose range holds `length`: its base and extra bits.
    private static func insertLengthCode(_ length: Int) -> (code: Int, base: Int, extraBits: Int) {
        let extraBits = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 12, 14, 24]
        let bases = [
            0, 1, 2, 3, 4, 5, 6, 8, 10, 14, 18, 26, 34, 50, 66, 98, 130, 194, 322, 578, 1090, 2114, 6210, 22594,
        ]
        let code = bases.lastIndex { $0 <= length }!
        return (code, bases[code], extraBits[code])
    }

    /// The meta-block header after MLEN (§9.2) up to the literal code (§3.5) included: one
    /// block type of each kind, no postfix or direct distances, one literal and one distance
    /// tree, so no context maps.
    private static let metaBlockHeader: [(bits: UInt64, count: Int)] = {
        var fields: [(bits: UInt64, count: Int)] = [
            (0, 1), (0, 1), (0, 1),  // NBLTYPESL, NBLTYPESI, NBLTYPESD: 1 each
            (0, 2), (0, 4),  // NPOSTFIX, NDIRECT
            (0, 2),  // the literal block type's context mode (LSB6; one tree makes it moot)
            (0, 1), (0, 1),  // NTREESL, NTREESD: 1 each
        ]
        fields += literalCodeFields
        return fields
    }()

    /// The literal code as a complex prefix code (§3.5): HSKIP 0, the code-length code's
    /// lengths (symbols 0, 4, 5 and 17, two bits each) in their order of transmission until
    /// the code is complete, each in the fixed variable-length code; then each literal's
    /// length in the code-length code, zero runs as symbol 17 (3 extra bits, runs of 3–10;
    /// two in a row multiply, §3.5), until the literal code is complete.
    private static let literalCodeFields: [(bits: UInt64, count: Int)] = {
        var fields: [(bits: UInt64, count: Int)] = [(0, 2)]  // HSKIP
        var codeLengthLengths = [UInt8](repeating: 0, count: 18)
        for symbol in [0, 4, 5, 17] { codeLengthLengths[symbol] = 2 }
        // The fixed code of code-length code lengths, as (value, bits) written LSB first.
        let fixed: [UInt8: (UInt64, Int)] = [0: (0, 2), 1: (7, 4), 2: (3, 3), 3: (2, 2), 4: (1, 2), 5: (15, 4)]
        var space = 32
        for symbol in [1, 2, 3, 4, 0, 5, 17, 6, 16, 7, 8, 9, 10, 11, 12, 13, 14, 15] where space > 0 {
            let length = codeLengthLengths[symbol]
            fields.append(fixed[length]!)
            if length > 0 { space -= 32 >> length }
        }
        let codeLengthCodes = RangeTextCode.canonicalCodes(lengths: codeLengthLengths)
        func symbol(_ value: Int) -> (bits: UInt64, count: Int) {
            (UInt64(codeLengthCodes[value].bits), codeLengthCodes[value].length)
        }
        /// A run of `count` zeros: one 17 for 3–10, two for 11–66 (the second multiplies the first).
        func zeros(_ count: Int) -> [(bits: UInt64, count: Int)] {
            switch count {
            case 1, 2: return Array(repeating: symbol(0), count: count)
            case 3...10: return [symbol(17), (UInt64(count - 3), 3)]
            default:
                // (first − 2) · 8 + second + 3 = count, first = 3 + e₁, second extra e₂ (0–7).
                let first = (count - 3) / 8 + 2
                return [symbol(17), (UInt64(first - 3), 3), symbol(17), (UInt64(count - 3 - (first - 2) * 8), 3)]
            }
        }
        var literal = 0
        var literalSpace = 1 << 15
        while literalSpace > 0 {
            let length = Int(literalLengths[literal])
            if length > 0 {
                fields.append(symbol(length))
                literalSpace -= (1 << 15) >> length
                literal += 1
            } else {
                var run = 0
                while literalLengths[literal + run] == 0 { run += 1 }
                fields += zeros(run)
                literal += run
            }
        }
        return fields
    }()
}
