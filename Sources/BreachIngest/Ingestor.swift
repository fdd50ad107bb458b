import BreachHash
import BreachIndex
import BreachSupport
import Foundation

/// What to ingest and how.
public struct IngestOptions: Sendable {
    public var output: String
    public var inputs: [String]
    public var format: InputFormat = .auto
    public var hashKind: HashKind = .sha1
    /// Whole hashes, or a compact check-only index of their first 64 bits.
    public var indexFormat: IndexFormat = .full
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
/// everything succeeded. Reading and parsing run on a thread of their own, sorting,
/// encoding and writing on the caller's: the two halves cost about the same.
public final class Ingestor {
    public let options: IngestOptions
    private let progress: ProgressReporter?

    public init(options: IngestOptions, progress: ProgressReporter? = nil) {
        self.options = options
        self.progress = progress
    }

    public func run() throws -> IngestSummary {
        guard !options.inputs.isEmpty else {
            throw IngestError.invalidArguments("no input given (use - for standard input)")
        }
        guard options.minimumCount >= 1 else { throw IngestError.invalidArguments("--min-count must be at least 1") }
        guard options.memoryLimit >= 64 << 10 else {
            throw IngestError.invalidArguments("--memory must be at least 64 KiB")
        }
        let started = ContinuousClock.now
        let base = try options.base.map { try BreachIndex(path: $0) }
        if let refusal = base?.refusalAsBase(for: options.hashKind) { throw IngestError.invalidArguments(refusal) }
        let destination = try IndexDestination(path: options.output)
        let runDirectory = destination.temporaryPath + ".runs"
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        var summary: IngestSummary
        do {
            let writer = try IndexWriter(
                path: destination.temporaryPath, kind: options.hashKind, format: options.indexFormat,
                minimumCount: options.minimumCount)
            let sorter = try HashSorter(writer: writer, runDirectory: runDirectory, memoryLimit: options.memoryLimit)
            let statistics = try readAll(into: sorter)
            let sources = (base?.metadata.sources ?? []) + statistics.sources
            let (finalWriter, metadata) = try sorter.finish(base: base, sources: sources) { [progress] in
                progress?.merging(hashes: $0)
            }
            progress?.finish()
            try destination.publish()
            summary = IngestSummary(metadata: metadata)
            summary.linesRead = statistics.linesRead
            summary.hashesRead = statistics.hashesRead
            summary.linesSkipped = statistics.linesSkipped
            summary.linesRefused = statistics.linesRefused
            summary.refusals = statistics.refusals
            summary.filesIgnored = statistics.filesIgnored
            summary.duplicatesMerged = sorter.duplicatesMerged
            summary.belowMinimum = finalWriter.belowMinimumCount
        } catch {
            progress?.finish()
            destination.discard()
            throw error
        }
        summary.fileBytes = fileSize(atPath: options.output) ?? 0
        summary.seconds = (ContinuousClock.now - started).timeInterval
        return summary
    }

    /// Reads the inputs on a second thread and feeds the sorter here.
    private func readAll(into sorter: HashSorter) throws -> ReadStatistics {
        let queue = BatchQueue(capacity: 4)
        let reader = InputReader(options: options, progress: progress)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                try reader.run { batch in
                    if !queue.push(batch) { throw CancellationError() }
                }
                queue.finish(throwing: nil)
            } catch {
                queue.finish(throwing: error)
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        do {
            while let batch = try queue.pop() {
                for entry in batch { try sorter.add(entry) }
            }
        } catch {
            queue.cancel()
            done.wait()
            throw error
        }
        done.wait()
        return reader.statistics
    }
}
