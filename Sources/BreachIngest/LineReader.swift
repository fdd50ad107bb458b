import Glibc

/// Splits an input into lines without copying them: each line is handed out as a
/// slice of one large buffer, valid until the next call. Accepts LF and CRLF, and a
/// last line without a line ending. Written by hand because it is the ingest hot
/// path: Foundation's line APIs allocate a String per line.
public struct LineReader: ~Copyable {
    /// Longer lines are refused: no format has them, binary junk does.
    static let maximumLineLength = 1 << 16

    public let input: InputFile
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEnd = false
    public private(set) var lineNumber = 0

    public init(_ input: InputFile, bufferSize: Int = 1 << 22) {
        self.input = input
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The next line without its line ending, or `nil` at the end of the input.
    public mutating func next() throws -> UnsafeRawBufferPointer? {
        while true {
            let base = buffer.baseAddress!
            if let newline = memchr(base + start, 0x0A, end - start) {
                let newlineAt = base.distance(to: UnsafeMutableRawPointer(newline))
                let line = trimmed(from: start, to: newlineAt)
                start = newlineAt + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < end else { return nil }
                let line = trimmed(from: start, to: end)
                start = end
                lineNumber += 1
                return line
            }
            if end - start >= Self.maximumLineLength {
                throw IngestError.malformedLine(
                    file: input.name, line: lineNumber + 1,
                    reason: "line longer than \(Self.maximumLineLength) bytes (binary data?)")
            }
            try refill()
        }
    }

    private func trimmed(from: Int, to: Int) -> UnsafeRawBufferPointer {
        var to = to
        if to > from && buffer[to - 1] == 0x0D { to -= 1 }
        return UnsafeRawBufferPointer(rebasing: buffer[from..<to])
    }

    private mutating func refill() throws {
        if start > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        let got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if got == 0 { atEnd = true }
        end += got
    }
}
