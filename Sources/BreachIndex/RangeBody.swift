import BreachHash

extension BreachIndex {
    /// The body `GET /range/{prefix}` serves for the 20-bit `prefix`, without padding:
    /// uppercase `SUFFIX:COUNT` lines in hash order, joined by CRLF, none after the last.
    public func rangeBody(prefix: Int) -> [UInt8] {
        var body: [UInt8] = []
        forEachEntry(inRange: prefix) { Self.appendRangeLine($0, kind: kind, to: &body) }
        return body
    }

    /// Appends `SUFFIX:COUNT` to a range body, after a CRLF unless it is the first line.
    public static func appendRangeLine(_ entry: HashCount, kind: HashKind, to body: inout [UInt8]) {
        if !body.isEmpty { body.append(contentsOf: [0x0D, 0x0A]) }
        let digits = kind.suffixHexDigitCount
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digits + 22) { line in
            Hex.write(entry.digest, firstDigit: 5, digitCount: digits, to: line.baseAddress!)
            line[digits] = UInt8(ascii: ":")
            let length = digits + 1 + Decimal.write(entry.count, to: line.baseAddress! + digits + 1)
            body.append(contentsOf: UnsafeBufferPointer(rebasing: line[0..<length]))
        }
    }

    /// The 20-bit prefix named by 5 hex digits (any case), or `nil`.
    public static func rangePrefix(_ text: String) -> Int? {
        guard text.utf8.count == 5, text.utf8.allSatisfy({ Hex.nibble($0) != nil }) else { return nil }
        return Int(text, radix: 16)
    }
}

/// Decimal formatting without allocation.
public enum Decimal {
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
