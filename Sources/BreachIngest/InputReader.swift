import BreachHash
import BreachIndex
import BreachSupport
import Foundation

/// What reading the inputs found, besides the hashes.
struct ReadStatistics {
    var linesRead = 0
    var hashesRead: UInt64 = 0
    var linesSkipped = 0
    var linesRefused = 0
    var refusals: [String] = []
    var filesIgnored: [String] = []
    var sources: [IndexMetadata.Source] = []
}

/// Reads and parses every input in order, handing the hashes over in batches.
///
/// Used by one thread at a time: the reading thread until it signals that it is done,
/// then the thread that reads ``statistics``.
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class InputReader: @unchecked Sendable {
    static let batchSize = 1 << 16

    private let options: IngestOptions
    private let progress: ProgressReporter?
    @exclusivity(unchecked) private(set) var statistics = ReadStatistics()
    @exclusivity(unchecked) private var bytesDone: UInt64 = 0
    @exclusivity(unchecked) private var totalBytes: UInt64?
    @exclusivity(unchecked) private var batch: [HashCount] = []
    @exclusivity(unchecked) private var emit: ([HashCount]) throws -> Void = { _ in }

    init(options: IngestOptions, progress: ProgressReporter?) {
        self.options = options
        self.progress = progress
    }

    /// Reads everything; `emit` receives each full batch and the last one.
    func run(emit: @escaping ([HashCount]) throws -> Void) throws {
        self.emit = emit
        totalBytes = plannedBytes()
        batch.reserveCapacity(Self.batchSize)
        for input in options.inputs { statistics.sources.append(try read(input)) }
        if !batch.isEmpty { try emit(batch) }
        batch = []
    }

    /// The bytes all inputs hold, when every one is a regular file.
    private func plannedBytes() -> UInt64? {
        var total: UInt64 = 0
        for input in options.inputs {
            guard input != "-", !isDirectory(input),
                let size = fileSize(atPath: input)
            else { return nil }
            total += size
        }
        return total
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private func read(_ path: String) throws -> IndexMetadata.Source {
        if options.format == .rangeDirectory || (options.format == .auto && path != "-" && isDirectory(path)) {
            try readRangeDirectory(path)
            return .init(path: path, format: InputFormat.rangeDirectory.rawValue, bytes: nil)
        }
        let input = try InputFile(path: path)
        let format = try readLines(of: input, format: options.format, prefix: nil)
        bytesDone += input.bytesConsumed
        return .init(path: path, format: format.rawValue, bytes: input.size)
    }

    /// Reads every range file (`5BAA6`, `5BAA6.txt`, `5BAA6.txt.gz`, …) in prefix order.
    private func readRangeDirectory(_ path: String) throws {
        guard isDirectory(path) else {
            throw IngestError.unreadable(file: path, reason: "--format range-dir needs a directory of range files")
        }
        var files: [(prefix: UInt64, name: String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where !name.hasPrefix(".") {
            let stem = name.prefix(5)
            let rest = name.dropFirst(5)
            if stem.count == 5, rest.isEmpty || rest.hasPrefix("."), let prefix = UInt64(stem, radix: 16) {
                files.append((prefix, name))
            } else {
                statistics.filesIgnored.append((path as NSString).appendingPathComponent(name))
            }
        }
        files.sort { $0.prefix < $1.prefix }
        for file in files {
            let input = try InputFile(path: (path as NSString).appendingPathComponent(file.name))
            _ = try readLines(of: input, format: .rangeDirectory, prefix: file.prefix)
            bytesDone += input.bytesConsumed
        }
    }

    /// Parses one file's lines; returns the format it was read as.
    private func readLines(of input: InputFile, format: InputFormat, prefix: UInt64?) throws -> InputFormat {
        var reader = LineReader(input)
        var parser: LineParser?
        if format != .auto {
            parser = LineParser(format: format, kind: options.hashKind, prefix: prefix.map { ($0, 5) } ?? (0, 0))
        }
        // Counted in locals: this loop runs billions of times.
        var lines = 0, hashes: UInt64 = 0, skipped = 0
        defer {
            statistics.linesRead += lines
            statistics.hashesRead += hashes
            statistics.linesSkipped += skipped
        }
        while let line = try reader.next() {
            lines += 1
            if lines & 0xFFFF == 0 {
                progress?.reading(
                    bytes: bytesDone + input.bytesConsumed, of: totalBytes, lines: statistics.linesRead + lines)
            }
            if parser == nil {
                if line.isEmpty { continue }
                guard let detected = LineParser.detect(line, kind: options.hashKind) else {
                    throw IngestError.unknownFormat(
                        file: input.name,
                        reason:
                            "line \(reader.lineNumber) is neither `HASH:COUNT` nor a bare \(options.hashKind.hexDigitCount)-digit \(options.hashKind.rawValue) hash"
                    )
                }
                parser = LineParser(format: detected, kind: options.hashKind)
            }
            switch parser!.parse(line) {
            case .entry(let entry):
                hashes += 1
                batch.append(entry)
                if batch.count == Self.batchSize {
                    try emit(batch)
                    batch = []
                    batch.reserveCapacity(Self.batchSize)
                }
            case .skipped:
                skipped += 1
            case .invalid(let reason):
                guard options.skipInvalid else {
                    throw IngestError.malformedLine(file: input.name, line: reader.lineNumber, reason: reason)
                }
                statistics.linesRefused += 1
                if statistics.refusals.count < 5 {
                    statistics.refusals.append("\(input.name):\(reader.lineNumber): \(reason)")
                }
            }
        }
        return parser?.format ?? format
    }
}
