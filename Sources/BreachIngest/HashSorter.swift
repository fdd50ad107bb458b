import BreachIndex
import Foundation

/// Puts the hashes of an ingest in order with bounded memory.
///
/// While the input arrives in prefix order (as the Pwned Passwords downloader writes
/// it), each prefix's hashes are sorted in memory and streamed straight into the
/// index: one pass, no temporary files. At the first hash whose prefix goes
/// backwards, that part is kept as a finished partial index and every later hash goes
/// to in-memory runs of at most `memoryLimit` bytes, sorted and spilled to disk; the
/// end merges the partial index, the runs and any `--base` index in one pass.
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
final class HashSorter {
    private let writer: IndexWriter
    private let runDirectory: String
    private let runCapacity: Int
    private let memoryLimit: Int
    @exclusivity(unchecked) private var bucket: [HashCount] = []
    @exclusivity(unchecked) private var bucketPrefix = -1
    @exclusivity(unchecked) private var spilling = false
    @exclusivity(unchecked) private var buffer: [HashCount] = []
    @exclusivity(unchecked) private var runs: [String] = []
    @exclusivity(unchecked) private var belowMinimum: RunWriter?

    /// Entries merged into another of the same hash.
    @exclusivity(unchecked) private(set) var duplicatesMerged: UInt64 = 0

    init(writer: IndexWriter, runDirectory: String, memoryLimit: Int) throws {
        self.writer = writer
        self.runDirectory = runDirectory
        self.memoryLimit = memoryLimit
        // The standard library's sort needs scratch space of half the array.
        runCapacity = max(1 << 10, memoryLimit / (MemoryLayout<HashCount>.stride * 3 / 2))
        if writer.minimumCountIsFiltering {
            // If the input later turns out unsorted, hashes left out of the streamed part
            // may still reach the minimum with counts from later input: keep them aside.
            try makeRunDirectory()
            let side = try RunWriter(path: runDirectory + "/below-minimum")
            belowMinimum = side
            writer.onBelowMinimum = { try side.append($0) }
        }
    }

    @inline(__always) func add(_ entry: HashCount) throws {
        if !spilling {
            let prefix = entry.digest.prefix
            if prefix == bucketPrefix {
                bucket.append(entry)
                return
            }
            try flushBucket()
            if prefix > bucketPrefix {
                bucketPrefix = prefix
                bucket.append(entry)
                return
            }
            spilling = true
            buffer.reserveCapacity(runCapacity)
        }
        buffer.append(entry)
        if buffer.count == runCapacity { try spill() }
    }

    private func flushBucket() throws {
        duplicatesMerged += Self.sortAndMerge(&bucket)
        for entry in bucket { try writer.append(entry) }
        bucket.removeAll(keepingCapacity: true)
    }

    private func spill() throws {
        try makeRunDirectory()
        duplicatesMerged += Self.sortAndMerge(&buffer)
        let run = try RunWriter(path: "\(runDirectory)/run-\(runs.count)")
        try buffer.withUnsafeBufferPointer { try run.append(contentsOf: $0) }
        runs.append(run.path)
        buffer.removeAll(keepingCapacity: true)
    }

    private func makeRunDirectory() throws {
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
    }

    /// Writes everything out. Returns the writer that holds the finished index: the
    /// streaming one when the input was in order and there is no base, otherwise a
    /// new one at the same path that merged everything.
    func finish(
        base: BreachIndex?, sources: [IndexMetadata.Source],
        onMerged: (UInt64) -> Void
    ) throws -> (IndexWriter, IndexMetadata) {
        try flushBucket()
        if !spilling && base == nil {
            return (writer, try writer.finish(sources: sources))
        }
        // Keep what streamed through as a partial index and merge it with the rest.
        _ = try writer.finish(sources: [])
        let partialPath = writer.path + ".partial"
        try FileManager.default.moveItem(atPath: writer.path, toPath: partialPath)
        defer { try? FileManager.default.removeItem(atPath: partialPath) }
        var inputs: [any SortedSource] = [IndexSource(try BreachIndex(path: partialPath))]
        if let belowMinimum {
            try belowMinimum.flush()
            inputs.append(try RunReader(path: belowMinimum.path, bufferEntries: 1 << 15))
        }
        duplicatesMerged += Self.sortAndMerge(&buffer)
        let readBuffer = max(1 << 12, memoryLimit / 3 / max(1, runs.count) / MemoryLayout<HashCount>.stride)
        for run in runs { inputs.append(try RunReader(path: run, bufferEntries: readBuffer)) }
        inputs.append(ArraySource(buffer))
        if let base { inputs.append(IndexSource(base)) }

        let merged = try IndexWriter(
            path: writer.path, kind: writer.kind, format: writer.format, minimumCount: writer.minimumCount)
        var stream = try MergedSources(inputs)
        var written: UInt64 = 0
        while let (entry, sameHash) = try stream.next() {
            duplicatesMerged += UInt64(sameHash - 1)
            try merged.append(entry)
            written += 1
            if written & 0xFFFFF == 0 { onMerged(written) }
        }
        return (merged, try merged.finish(sources: sources))
    }

    /// Sorts `entries` by hash and sums the counts of equal hashes; returns how many
    /// entries were folded into another.
    static func sortAndMerge(_ entries: inout [HashCount]) -> UInt64 {
        guard entries.count > 1 else { return 0 }
        var sorted = true
        for i in 1..<entries.count where !(entries[i - 1].digest < entries[i].digest) {
            sorted = false
            break
        }
        if sorted { return 0 }
        entries.sort { $0.digest < $1.digest }
        var kept = 0
        for i in 1..<entries.count {
            if entries[i].digest == entries[kept].digest {
                entries[kept].count = HashCount.sum(entries[kept].count, entries[i].count)
            } else {
                kept += 1
                entries[kept] = entries[i]
            }
        }
        let merged = entries.count - kept - 1
        entries.removeLast(merged)
        return UInt64(merged)
    }
}
