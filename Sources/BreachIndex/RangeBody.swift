import BreachHash

extension BreachIndex {
    /// The body `GET /range/{prefix}` serves for the 20-bit `prefix`, without padding:
    /// uppercase `SUFFIX:COUNT` lines in hash order, joined by CRLF, none after the last.
    public func rangeBody(prefix: Int) -> [UInt8] {
        Self.rangeBody(range(prefix: prefix), kind: kind)
    }

    /// `SUFFIX:COUNT` lines for `entries` (in hash order, of one prefix) joined by CRLF,
    /// written in one pass into a buffer sized for the longest possible lines.
    public static func rangeBody(_ entries: [HashCount], kind: HashKind) -> [UInt8] {
        let digits = kind.suffixHexDigitCount
        let longestLine = 2 + digits + 1 + 20
        return [UInt8](unsafeUninitializedCapacity: entries.count * longestLine) { buffer, written in
            var at = buffer.baseAddress!
            for (i, entry) in entries.enumerated() {
                if i > 0 {
                    at[0] = 0x0D
                    at[1] = 0x0A
                    at += 2
                }
                Hex.write(entry.digest, firstDigit: 5, digitCount: digits, to: at)
                at[digits] = UInt8(ascii: ":")
                at += digits + 1 + DecimalText.write(entry.count, to: at + digits + 1)
            }
            written = buffer.baseAddress!.distance(to: at)
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

/// Decimal formatting without allocation.
public enum DecimalText {
    /// Writes `value` in decimal at `output`; returns the digits written (at most 20).
    @inlinable public static func write(_ value: UInt64, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, on the stack
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var v = value, at = 24
            repeat {
                at -= 1
                scratch[at] = UInt8(truncatingIfNeeded: v % 10) + UInt8(ascii: "0")
                v /= 10
            } while v > 0
            let count = 24 - at
            output.update(from: scratch.baseAddress!.advanced(by: at).assumingMemoryBound(to: UInt8.self), count: count)
            return count
        }
    }
}
