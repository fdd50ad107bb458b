/// Hex parsing and formatting without allocation, for the ingest and check hot paths.
public enum Hex {
    /// Nibble value of an ASCII hex digit (either case), or 0xFF.
    @usableFromInline static let nibbleTable: [UInt8] = (0..<256).map { c -> UInt8 in
        switch UInt8(c) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(c) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(c) - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt8(c) - UInt8(ascii: "A") + 10
        default: 0xFF
        }
    }

    /// The nibble value of `byte`, or `nil` if it is not a hex digit.
    @inlinable public static func nibble(_ byte: UInt8) -> UInt8? {
        let v = nibbleTable.withUnsafeBufferPointer { $0[Int(byte)] }
        return v == 0xFF ? nil : v
    }

    /// Parses `digitCount` hex digits at `start` into a digest, or returns `nil` if any
    /// is not a hex digit. `leading` nibbles already known (a range prefix from a file
    /// name) come first; `leading.digits + digitCount` must be 32 or 40.
    @inlinable public static func digest(
        _ text: UnsafeRawBufferPointer, from start: Int = 0, digitCount: Int,
        leading: (value: UInt64, digits: Int) = (0, 0)
    ) -> HashDigest? {
        nibbleTable.withUnsafeBufferPointer { table -> HashDigest? in
            var words: (UInt64, UInt64, UInt64) = (leading.value, 0, 0)
            var bad: UInt8 = 0
            let total = leading.digits + digitCount
            for i in leading.digits..<total {
                let v = table[Int(text[start + i - leading.digits])]
                bad |= v
                let nibble = UInt64(v & 0x0F)
                switch i >> 4 {
                case 0: words.0 = words.0 << 4 | nibble
                case 1: words.1 = words.1 << 4 | nibble
                default: words.2 = words.2 << 4 | nibble
                }
            }
            // 0xFF marks a non-hex byte; any valid nibble leaves bits 4–7 clear.
            if bad & 0xF0 != 0 { return nil }
            // Left-align a short final word (40 digits: 8 in the last word; 32: none).
            let tail = total - 32
            let low = tail > 0 ? UInt32(truncatingIfNeeded: words.2 << UInt64(32 - tail * 4)) : 0
            return HashDigest(high: words.0, middle: words.1, low: low)
        }
    }

    /// Parses a whole string of 32 or 40 hex digits.
    public static func digest(_ string: String, kind: HashKind) -> HashDigest? {
        var string = string
        return string.withUTF8 { utf8 in
            utf8.count == kind.hexDigitCount
                ? digest(UnsafeRawBufferPointer(utf8), digitCount: kind.hexDigitCount) : nil
        }
    }

    /// Writes `digitCount` uppercase hex digits of `digest`, from digit `firstDigit`, at `output`.
    @inlinable public static func write(
        _ digest: HashDigest, firstDigit: Int = 0, digitCount: Int, to output: UnsafeMutablePointer<UInt8>
    ) {
        let digits = ("0123456789ABCDEF" as StaticString).utf8Start
        let low = UInt64(digest.low) << 32
        var digit = firstDigit
        for i in 0..<digitCount {
            let word = digit < 16 ? digest.high : digit < 32 ? digest.middle : low
            output[i] = digits[Int(truncatingIfNeeded: (word >> UInt64(60 - (digit & 15) * 4)) & 0xF)]
            digit += 1
        }
    }

    /// The digest as uppercase hex.
    public static func string(_ digest: HashDigest, kind: HashKind) -> String {
        String(unsafeUninitializedCapacity: kind.hexDigitCount) { buffer in
            write(digest, digitCount: kind.hexDigitCount, to: buffer.baseAddress!)
            return kind.hexDigitCount
        }
    }
}
