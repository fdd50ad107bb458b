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

    /// The 20-bit prefix named by 5 hex digits (any case), or `nil`.
    public static func rangePrefix(_ text: String) -> Int? {
        guard text.utf8.count == 5, text.utf8.allSatisfy({ Hex.nibble($0) != nil }) else { return nil }
        return Int(text, radix: 16)
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
