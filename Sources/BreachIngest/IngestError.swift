/// Why an ingest stopped. Every case names the file, and where it applies the line.
public enum IngestError: Error, CustomStringConvertible, Sendable {
    /// A line that does not fit the input format (`dump.txt:1000: expected …`).
    case malformedLine(file: String, line: Int, reason: String)
    /// A file that could not be opened or read.
    case unreadable(file: String, reason: String)
    /// `--format auto` could not tell what the input is.
    case unknownFormat(file: String, reason: String)
    /// Arguments that do not fit together.
    case invalidArguments(String)

    public var description: String {
        switch self {
        case .malformedLine(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .unknownFormat(let file, let reason): "\(file): cannot tell the input format (\(reason)); pass --format"
        case .invalidArguments(let reason): reason
        }
    }
}
