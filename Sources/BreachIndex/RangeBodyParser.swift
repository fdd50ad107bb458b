import BreachHash

#if canImport(Glibc)
    import Glibc
#endif

/// One `SUFFIX:COUNT` line of a range answer or range file (`HASH:COUNT` when no prefix
/// is known): the single line parser that `ingest` and `download` share.
public enum RangeLine {
    public enum Outcome {
        case entry(HashCount)
        /// A count-0 row: padding added by the server, never a real hash.
        case padding(HashDigest)
        case invalid(String)
    }

    /// Parses `line` as `digits` hex digits, `:` and a decimal count; `leading` nibbles
    /// (the range prefix) come first in the digest.
    @inlinable public static func parse(
        _ line: UnsafeRawBufferPointer, digits: Int,
        leading: (value: UInt64, digits: Int)
    ) -> Outcome {
        guard line.count > digits, line[digits] == UInt8(ascii: ":"),
            let digest = Hex.digest(line, digitCount: digits, leading: leading)
        else {
            return .invalid("expected \(digits) hex digits before ':'")
        }
        guard let count = decimal(line, from: digits + 1) else {
            return .invalid("expected a decimal count after ':'")
        }
        return count == 0 ? .padding(digest) : .entry(HashCount(digest: digest, count: count))
    }

    /// A decimal count from `start` to the end of the line, or `nil`.
    @inlinable public static func decimal(_ line: UnsafeRawBufferPointer, from start: Int) -> UInt64? {
        guard start < line.count, line.count - start <= 20 else { return nil }
        var value: UInt64 = 0
        for i in start..<line.count {
            let digit = line[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}

/// Why a range answer's body was refused: its line (1-based) and what was wrong.
public struct RangeBodyError: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// Checks and parses a whole range answer as the range API defines it: `SUFFIX:COUNT`
/// lines (35 hex digits for SHA-1, 27 for NTLM) joined by CRLF, the real rows in strictly
/// ascending hash order. Count-0 padding rows are checked like the others, then dropped;
/// they may come anywhere: the public API appends them after the real rows unsorted,
/// `breachdb serve` sorts them in.
public struct RangeBodyParser: Sendable {
    public let kind: HashKind

    public init(kind: HashKind) { self.kind = kind }

    /// Appends the body's hashes to `entries`; returns how many padding rows were dropped.
    public func parse(_ body: UnsafeRawBufferPointer, prefix: Int, into entries: inout [HashCount])
        throws(RangeBodyError) -> Int
    {
        let digits = kind.suffixHexDigitCount
        let leading = (value: UInt64(prefix), digits: 5)
        var padding = 0, line = 0, start = 0
        var previous: HashDigest?  // the last real row
        while start < body.count {
            line += 1
            // memchr: this runs for every line of a 2.4 GB download.
            var end = body.count
            if let newline = memchr(body.baseAddress! + start, 0x0A, body.count - start) {
                end = body.baseAddress!.distance(to: UnsafeRawPointer(newline))
            }
            var next = end + 1
            if end < body.count {
                guard end > start, body[end - 1] == 0x0D else {
                    throw RangeBodyError(line: line, reason: "a line ends in LF without CR")
                }
                end -= 1
                if end == start { throw RangeBodyError(line: line, reason: "an empty line") }
            } else {
                next = end
            }
            let text = UnsafeRawBufferPointer(rebasing: body[start..<end])
            switch RangeLine.parse(text, digits: digits, leading: leading) {
            case .entry(let entry):
                if let previous, !(previous < entry.digest) {
                    throw RangeBodyError(
                        line: line,
                        reason: previous == entry.digest ? "a duplicate suffix" : "suffixes out of ascending order")
                }
                previous = entry.digest
                entries.append(entry)
            case .padding:
                padding += 1
            case .invalid(let reason):
                throw RangeBodyError(line: line, reason: text.contains(0x0D) ? "a CR inside a line" : reason)
            }
            start = next
        }
        return padding
    }
}
