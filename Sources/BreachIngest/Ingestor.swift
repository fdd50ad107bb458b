import BreachHash
import BreachIndex
import Foundation

/// What to ingest and how.
public struct IngestOptions: Sendable {
    public var output: String
    public var inputs: [String]
    public var format: InputFormat = .auto
    public var hashKind: HashKind = .sha1
    /// An existing index whose hashes are merged in (counts summed).
    public var base: String?
    /// Keep only hashes seen at least this often.
    public var minimumCount: UInt64 = 1
    /// Memory for sorting unsorted input; more is spilled to disk beside the output.
    public var memoryLimit = 2 << 30
    /// Count and skip malformed lines instead of stopping at the first.
    public var skipInvalid = false

    public init(output: String, inputs: [String]) {
        self.output = output
        self.inputs = inputs
    }
}

/// What an ingest did.
public struct IngestSummary: Sendable {
    public var metadata: IndexMetadata
    public var linesRead = 0
    public var hashesRead: UInt64 = 0
    public var duplicatesMerged: UInt64 = 0
    public var belowMinimum: UInt64 = 0
    /// Empty lines and count-0 padding rows.
    public var linesSkipped = 0
    public var linesRefused = 0
    /// The first few refused lines, `file:line: reason`.
    public var refusals: [String] = []
    public var filesIgnored: [String] = []
    public var fileBytes: UInt64 = 0
    public var seconds: Double = 0

    public var bytesPerHash: Double {
        metadata.hashCount == 0 ? 0 : Double(fileBytes) / Double(metadata.hashCount)
    }
}

/// Builds an index from breach dumps: parse, sort, merge, write to a temporary file,
/// publish atomically. The existing index at the output path is replaced only when
/// everything succeeded.
public final class Ingestor {
    public let options: IngestOptions
    private let progress: IngestProgress?
    private var summary: IngestSummary!
    private var bytesDone: UInt64 = 0
    private var totalBytes: UInt64?

    public init(options: IngestOptions, progress: IngestProgress? = nil) {
        self.options = options
        self.progress = progress
    }

    public func run() throws -> IngestSummary {
        guard !options.inputs.isEmpty else { throw IngestError.invalidArguments("no input given (use - for standard input)") }
        guard options.minimumCount >= 1 else { throw IngestError.invalidArguments("--min-count must be at least 1") }
        guard options.memoryLimit >= 64 << 10 else { throw IngestError.invalidArguments("--memory must be at least 64 KiB") }
        let started = ContinuousClock.now
        let base = try options.base.map { try BreachIndex(path: $0) }
        if let base, base.kind != options.hashKind {
            throw IngestError.invalidArguments("\(base.path): the base index holds \(base.kind.rawValue) hashes, not \(options.hashKind.rawValue)")
        }
        let destination = try IndexDestination(path: options.output)
        let runDirectory = destination.temporaryPath + ".runs"
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        do {
            let writer = try IndexWriter(path: destination.temporaryPath, kind: options.hashKind, minimumCount: options.minimumCount)
            let sorter = try HashSorter(writer: writer, runDirectory: runDirectory, memoryLimit: options.memoryLimit)
            summary = IngestSummary(metadata: IndexMetadata(hashKind: options.hashKind, hashCount: 0, countSum: 0, bucketCount: 0, minimumCount: 1, sources: []))
            totalBytes = try plannedBytes()
            var sources = base?.metadata.sources ?? []
            for input in options.inputs {
                sources.append(try read(input, into: sorter))
            }
            let (finalWriter, metadata) = try sorter.finish(base: base, sources: sources) { [progress] in progress?.merging(hashes: $0) }
            progress?.finish()
            try destination.publish()
            summary.metadata = metadata
            summary.duplicatesMerged = sorter.duplicatesMerged
            summary.belowMinimum = finalWriter.belowMinimumCount
        } catch {
            progress?.finish()
            destination.discard()
            throw error
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: options.output)
        summary.fileBytes = (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        let elapsed = ContinuousClock.now - started
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }

    /// The bytes all inputs hold, when every one is a regular file.
    private func plannedBytes() throws -> UInt64? {
        var total: UInt64 = 0
        for input in options.inputs {
            guard input != "-", let size = (try? FileManager.default.attributesOfItem(atPath: input))?[.size] as? NSNumber,
                  !isDirectory(input) else { return nil }
            total += size.uint64Value
        }
        return total
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private func read(_ path: String, into sorter: HashSorter) throws -> IndexMetadata.Source {
        if options.format == .rangeDirectory || (options.format == .auto && path != "-" && isDirectory(path)) {
            try readRangeDirectory(path, into: sorter)
            return .init(path: path, format: InputFormat.rangeDirectory.rawValue, bytes: nil)
        }
        let input = try InputFile(path: path)
        let format = try readLines(of: input, format: options.format, prefix: nil, into: sorter)
        bytesDone += input.bytesConsumed
        return .init(path: path, format: format.rawValue, bytes: input.size)
    }

    /// Reads every range file (`5BAA6`, `5BAA6.txt`, `5BAA6.txt.gz`, …) in prefix order.
    private func readRangeDirectory(_ path: String, into sorter: HashSorter) throws {
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
                summary.filesIgnored.append((path as NSString).appendingPathComponent(name))
            }
        }
        files.sort { $0.prefix < $1.prefix }
        for file in files {
            let input = try InputFile(path: (path as NSString).appendingPathComponent(file.name))
            _ = try readLines(of: input, format: .rangeDirectory, prefix: file.prefix, into: sorter)
            bytesDone += input.bytesConsumed
        }
    }

    /// Parses one file's lines; returns the format it was read as.
    private func readLines(of input: InputFile, format: InputFormat, prefix: UInt64?, into sorter: HashSorter) throws -> InputFormat {
        var reader = LineReader(input)
        var parser: LineParser?
        if format != .auto {
            parser = LineParser(format: format, kind: options.hashKind, prefix: prefix.map { ($0, 5) } ?? (0, 0))
        }
        var lines = 0
        defer { summary.linesRead += lines }
        while let line = try reader.next() {
            lines += 1
            if lines & 0xFFFF == 0 {
                progress?.reading(bytes: bytesDone + input.bytesConsumed, of: totalBytes, lines: summary.linesRead + lines)
            }
            if parser == nil {
                if line.isEmpty { continue }
                guard let detected = LineParser.detect(line, kind: options.hashKind) else {
                    throw IngestError.unknownFormat(file: input.name, reason: "line \(reader.lineNumber) is neither `HASH:COUNT` nor a bare \(options.hashKind.hexDigitCount)-digit \(options.hashKind.rawValue) hash")
                }
                parser = LineParser(format: detected, kind: options.hashKind)
            }
            switch parser!.parse(line) {
            case .entry(let entry):
                summary.hashesRead += 1
                try sorter.add(entry)
            case .skipped:
                summary.linesSkipped += 1
            case .invalid(let reason):
                guard options.skipInvalid else {
                    throw IngestError.malformedLine(file: input.name, line: reader.lineNumber, reason: reason)
                }
                summary.linesRefused += 1
                if summary.refusals.count < 5 { summary.refusals.append("\(input.name):\(reader.lineNumber): \(reason)") }
            }
        }
        return parser?.format ?? format
    }
}
