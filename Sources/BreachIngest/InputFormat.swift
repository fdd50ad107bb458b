import BreachHash
import BreachIndex

#if canImport(Glibc)
    import Glibc
#endif

/// The kinds of input `breachdb ingest` reads.
public enum InputFormat: String, CaseIterable, Sendable {
    /// Tell `hibp`, `sha1` and `range-dir` apart from the input itself.
    case auto
    /// `HASH:COUNT` lines, as the Pwned Passwords downloader writes them.
    case hibp
    /// Bare hex hashes, one per line, each counting once.
    case sha1
    /// A directory of range files named by their 5-hex prefix, holding `SUFFIX:COUNT` lines.
    case rangeDirectory = "range-dir"
    /// One password per line (its bytes as given), hashed; counts are occurrences.
    case plaintext
}

/// Turns one line of a known format into a hash and a count.
struct LineParser {
    enum Outcome {
        case entry(HashCount)
        /// An empty line, or a count-0 padding row of a range response.
        case skipped
        case invalid(String)
    }

    let format: InputFormat
    let kind: HashKind
    /// The range prefix of the file being read (range-dir only).
    var prefix: (value: UInt64, digits: Int) = (0, 0)

    @inline(__always) func parse(_ line: UnsafeRawBufferPointer) -> Outcome {
        if line.isEmpty { return .skipped }
        switch format {
        case .hibp, .rangeDirectory:
            switch RangeLine.parse(
                line, digits: format == .hibp ? kind.hexDigitCount : kind.suffixHexDigitCount, leading: prefix)
            {
            case .entry(let entry): return .entry(entry)
            case .padding: return .skipped
            case .invalid(let reason): return .invalid(reason)
            }
        case .sha1:
            guard line.count == kind.hexDigitCount, let digest = Hex.digest(line, digitCount: kind.hexDigitCount) else {
                return .invalid("expected \(kind.hexDigitCount) hex digits")
            }
            return .entry(HashCount(digest: digest, count: 1))
        case .plaintext:
            if line.contains(0) {
                return .invalid("a NUL byte in a password (binary data?)")
            }
            return .entry(HashCount(digest: PasswordHasher.hash(line, kind: kind), count: 1))
        case .auto:
            preconditionFailure("the format is resolved before parsing")
        }
    }

    /// The format of a file from its first non-empty line (`auto`).
    static func detect(_ line: UnsafeRawBufferPointer, kind: HashKind) -> InputFormat? {
        let digits = kind.hexDigitCount
        if line.count == digits, Hex.digest(line, digitCount: digits) != nil { return .sha1 }
        if line.count > digits, line[digits] == UInt8(ascii: ":"), Hex.digest(line, digitCount: digits) != nil,
            RangeLine.decimal(line, from: digits + 1) != nil
        {
            return .hibp
        }
        return nil
    }
}
