import BreachHash
import BreachIndex
import BreachSupport
import Foundation

/// Builds an index from the range API: every prefix of the slice is fetched (several at
/// once), validated, and written in prefix order straight into the index writer, with no
/// intermediate text. Answers arriving out of order wait in a reorder window of at most
/// ``DownloadOptions/reorderWindowBytes``: no prefix is requested while it is full, so
/// memory is bounded by the window and the requests in flight (each at most
/// ``DownloadOptions/maximumRangeBytes`` on the wire and decoded), never by the corpus.
///
/// The temporary index (`.OUTPUT.partial`) is checkpointed every few seconds: a killed
/// download, run again, continues after the last checkpoint without asking for the
/// ranges before it. The output is replaced only when everything is written.
public final class Downloader {
    public let options: DownloadOptions
    private let progress: ProgressReporter?
    /// Says what the download decided on its own (shown even without progress).
    private let notice: (String) -> Void
    private let source: any RangeSource
    private let statistics = DownloadStatistics()
    private let fetcher: RangeFetcher
    /// The last chunk of the base whose checksum was checked (ranges are copied in order).
    private var verifiedBaseChunk = -1

    public init(
        options: DownloadOptions, progress: ProgressReporter? = nil,
        notice: @escaping (String) -> Void = { FileHandle.standardError.write(Data("download: \($0)\n".utf8)) }
    ) throws {
        self.options = options
        self.progress = progress
        self.notice = notice
        source = try HTTPRangeSource(options: options)
        fetcher = RangeFetcher(source: source, kind: options.kind, retry: options.retry, statistics: statistics)
    }

    public func run() async throws -> DownloadSummary {
        do {
            let summary = try await download()
            try await source.shutdown()
            return summary
        } catch {
            try? await source.shutdown()
            progress?.finish()
            throw error
        }
    }

    private func download() async throws -> DownloadSummary {
        guard (1...DownloadOptions.maximumConcurrency).contains(options.concurrency) else {
            throw DownloadError.invalidArguments(
                "--concurrency must be from 1 to \(DownloadOptions.maximumConcurrency)")
        }
        guard options.retry.attempts >= 1 else {
            throw DownloadError.invalidArguments("at least one attempt per range is needed")
        }
        let started = ContinuousClock.now
        let base = try options.base.map { try BreachIndex(path: $0) }
        if let refusal = base?.refusalAsBase(for: options.kind) { throw DownloadError.invalidArguments(refusal) }
        let destination = try IndexDestination(path: options.output, resumable: true)
        let lock = try DownloadLock(path: destination.temporaryPath + ".lock", output: options.output)
        let output = IndexOutput(path: destination.temporaryPath)
        if let finished = finishedPartial(at: output.path) {
            // A run that finished its index but stopped before renaming it into place.
            try destination.publish()
            lock.release()
            notice("\(output.path) held this download, finished but not yet published: published it")
            var summary = DownloadSummary()
            summary.ranges = options.prefixes.count
            summary.resumedFrom = options.prefixes.count
            summary.hashCount = finished.hashCount
            summary.contentDigest = finished.contentDigest ?? ""
            summary.seconds = (ContinuousClock.now - started).timeInterval
            return summary
        }
        var first = options.prefixes.first
        if let (writer, next) = try resumeWriter(at: output.path) {
            output.writer = writer
            first = next
        } else if let base, options.format == .full, Self.isSameFile(base.path, options.output) {
            // In place: nothing is written until a range has changed (see `IndexOutput`). The
            // new file holds only the slice: in place, that must be all the base holds.
            guard options.prefixes == base.metadata.coveredPrefixes ?? .all else {
                throw DownloadError.invalidArguments(
                    "\(options.output): refreshing in place needs --prefixes \(base.metadata.coveredPrefixes ?? .all), what the index covers (it would be left holding \(options.prefixes) alone); write the slice to another file"
                )
            }
            output.base = base
        } else {
            output.writer = try newWriter(at: output.path)
        }
        var summary = DownloadSummary()
        summary.resumedFrom = first - options.prefixes.first
        try await fetchAll(from: first, into: output, base: base, summary: &summary)
        summary.ranges = options.prefixes.count
        summary.requests = statistics.requests.load(ordering: .relaxed)
        summary.retries = statistics.retries.load(ordering: .relaxed)
        summary.wireBytes = statistics.wireBytes.load(ordering: .relaxed)
        summary.textBytes = statistics.textBytes.load(ordering: .relaxed)
        summary.paddingRowsDropped = statistics.paddingRows.load(ordering: .relaxed)
        guard let writer = output.writer else {
            // Every range unchanged: the file, its inode and its time stay as they were, so
            // a daemon serving it has nothing to reload.
            progress?.finish()
            lock.release()
            summary.nothingChanged = true
            summary.hashCount = base?.metadata.hashCount ?? 0
            summary.contentDigest = base?.metadata.contentDigest ?? ""
            summary.seconds = (ContinuousClock.now - started).timeInterval
            return summary
        }
        let metadata = try writer.finish(
            sources: [
                .init(
                    path: options.sourceForDisplay, format: "range-api",
                    bytes: UInt64(statistics.wireBytes.load(ordering: .relaxed)))
            ],
            coveredPrefixes: options.prefixes)
        progress?.finish()
        try destination.publish()
        lock.release()
        summary.hashCount = metadata.hashCount
        summary.contentDigest = metadata.contentDigest ?? ""
        summary.seconds = (ContinuousClock.now - started).timeInterval
        return summary
    }

    /// The metadata of the temporary index when it is this download finished (same source,
    /// slice, kind and format), intact, and newer than the output: only its rename into
    /// place was not done. Else `nil`, and the file is replaced as any other.
    private func finishedPartial(at path: String) -> IndexMetadata? {
        guard FileManager.default.fileExists(atPath: path), let index = try? BreachIndex(path: path) else { return nil }
        let metadata = index.metadata
        guard metadata.hashKind == options.kind, metadata.format == options.format,
            metadata.coveredPrefixes == options.prefixes,
            metadata.sources == [
                .init(path: options.sourceForDisplay, format: "range-api", bytes: metadata.sources.first?.bytes)
            ]
        else { return nil }
        // An output written since (by hand, or by another tool) is not replaced by older data.
        if let output = fileModificationDate(atPath: options.output), let partial = fileModificationDate(atPath: path),
            output > partial
        {
            return nil
        }
        for chunk in 0..<BreachIndex.checksumChunkCount where index.checksumProblem(inChunk: chunk) != nil {
            return nil
        }
        return metadata
    }

    /// The writer and the first prefix to fetch where an interrupted run of the same
    /// download stopped; `nil` when there is none to continue (see ``newWriter(at:)``). A
    /// temporary index that cannot be read stops the download.
    private func resumeWriter(at path: String) throws -> (IndexWriter, Int)? {
        let wanted = DownloadCheckpoint(options: options, next: options.prefixes.first)
        let resumed: (writer: IndexWriter, state: [UInt8])?
        do {
            resumed = try IndexWriter.resume(path: path, kind: options.kind, format: options.format) { state in
                DownloadCheckpoint.decode(state)?.isSameDownload(as: wanted) == true
            }
        } catch {
            throw DownloadError.unusablePartial(path: path, reason: "\(error)")
        }
        if let (writer, state) = resumed, let checkpoint = DownloadCheckpoint.decode(state) {
            writer.commitsAutomatically = false
            return (writer, checkpoint.next)
        }
        if options.requiresResume {
            throw DownloadError.invalidArguments(
                "--resume: no interrupted download of \(options.prefixes) from \(options.sourceForDisplay) to continue (\(path) is missing or holds another)"
            )
        }
        return nil
    }

    /// A fresh temporary index; one there already (another download's, or stopped before
    /// its first checkpoint) is replaced, saying so.
    private func newWriter(at path: String) throws -> IndexWriter {
        if FileManager.default.fileExists(atPath: path) {
            notice(
                "\(path) holds no checkpoint of this download (another source, mode or slice, another build's bucket format, or stopped before its first checkpoint): starting afresh"
            )
        }
        let writer = try IndexWriter(path: path, kind: options.kind, format: options.format)
        writer.commitsAutomatically = false
        return writer
    }

    private static func isSameFile(_ one: String, _ other: String) -> Bool {
        var a = stat(), b = stat()
        return stat(one, &a) == 0 && stat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    private func fetchAll(from first: Int, into output: IndexOutput, base: BreachIndex?, summary: inout DownloadSummary)
        async throws
    {
        let last = options.prefixes.last
        // A count bound too, for ranges that hold almost nothing (empty, or 304s).
        let windowRanges = 1 << 16
        var lastCheckpoint = ContinuousClock.now
        let fetcher = self.fetcher
        try await withThrowingTaskGroup(of: (Int, FetchedRange).self) { group in
            var nextToFetch = first, nextToWrite = first, inFlight = 0, waitingBytes = 0
            var waiting: [Int: FetchedRange] = [:]
            // The range at `nextToWrite` is always in flight while the window is full, so
            // the window always drains.
            func launch() {
                while nextToFetch <= last && inFlight < options.concurrency
                    && waitingBytes < options.reorderWindowBytes && nextToFetch < nextToWrite + windowRanges
                {
                    let prefix = nextToFetch, validator = base?.validator(forPrefix: prefix)
                    group.addTask { (prefix, try await fetcher.fetch(prefix: prefix, validator: validator)) }
                    nextToFetch += 1
                    inFlight += 1
                }
            }
            launch()
            while let (prefix, fetched) = try await group.next() {
                inFlight -= 1
                waiting[prefix] = fetched
                waitingBytes += fetched.bytes
                while let ready = waiting.removeValue(forKey: nextToWrite) {
                    waitingBytes -= ready.bytes
                    let prefix = nextToWrite
                    nextToWrite += 1
                    if output.isDeferring(ready, prefix: prefix) {
                        summary.unchanged += 1
                        continue
                    }
                    let writer = try output.writer ?? startWriter(for: output, before: prefix)
                    try write(ready, prefix: prefix, into: writer, base: base, summary: &summary)
                    if writer.uncommittedBytes >= options.bytesPerCheckpoint
                        || ContinuousClock.now - lastCheckpoint >= options.checkpointInterval
                    {
                        try checkpoint(writer, next: nextToWrite, base: base)
                        lastCheckpoint = .now
                    }
                }
                report(
                    done: nextToWrite - options.prefixes.first, resumed: first - options.prefixes.first,
                    hashes: output.writer?.hashCount ?? 0)
                launch()
            }
        }
    }

    private func checkpoint(_ writer: IndexWriter, next: Int, base: BreachIndex?) throws {
        try writer.checkpoint(state: DownloadCheckpoint(options: options, next: next).encoded())
        base?.dropMappedPages()
    }

    /// An in-place refresh's writer, made at the first range that changed: the unchanged
    /// ranges before it are copied from the base first.
    private func startWriter(for output: IndexOutput, before prefix: Int) throws -> IndexWriter {
        let writer = try newWriter(at: output.path)
        output.writer = writer
        guard let base = output.base else { return writer }
        for unchanged in options.prefixes.first..<prefix {
            // Deferred only when the 304's validator was the base's own.
            try copy(unchanged, from: base, validator: base.validator(forPrefix: unchanged)!, into: writer)
            if writer.uncommittedBytes >= options.bytesPerCheckpoint {
                try checkpoint(writer, next: unchanged + 1, base: base)
            }
        }
        return writer
    }

    private func write(
        _ fetched: FetchedRange, prefix: Int, into writer: IndexWriter, base: BreachIndex?,
        summary: inout DownloadSummary
    ) throws {
        switch fetched {
        case .entries(let entries, let validator):
            for entry in entries { try writer.append(entry) }
            if let validator { try writer.setValidator(validator, forPrefix: prefix) }
            summary.changed += 1
        case .unchanged(let validator):
            // Only sent with a validator from the base, so the base is there.
            try copy(prefix, from: base!, validator: validator, into: writer)
            summary.unchanged += 1
        }
    }

    /// The base's range `prefix` into `writer` as stored (re-coded when the base is of an older
    /// format version, ``IndexWriter/appendBucket(of:prefix:)``), once the checksum of its chunk
    /// (read ahead in whole blocks) matched: a damaged base stops the download naming the
    /// ranges, rather than passing its damage on under fresh checksums.
    private func copy(_ prefix: Int, from base: BreachIndex, validator: String, into writer: IndexWriter) throws {
        let chunk = BreachIndex.chunk(containing: prefix)
        if chunk != verifiedBaseChunk {
            if let problem = base.checksumProblem(inChunk: chunk) {
                throw DownloadError.damagedBase(path: base.path, problem: problem)
            }
            verifiedBaseChunk = chunk
        }
        try writer.appendBucket(of: base, prefix: prefix)
        try writer.setValidator(validator, forPrefix: prefix)
    }

    private func report(done: Int, resumed: Int, hashes: UInt64) {
        guard let progress else { return }
        let total = options.prefixes.count
        func line() -> String {
            let seconds = progress.elapsedSeconds
            let text = Double(statistics.textBytes.load(ordering: .relaxed))
            var line =
                "\(done.formatted()) of \(total.formatted()) ranges, \(hashes.formatted()) hashes, "
                + "\(String(format: "%.1f", text / 1e6 / max(seconds, 1e-9))) MB/s of range text"
            // This run's pace: ranges an earlier run finished took none of its time.
            let fraction = Double(done - resumed) / Double(max(1, total - resumed))
            if fraction > 0.01 { line += ", ETA \(ProgressReporter.duration(seconds / fraction - seconds))" }
            let held = statistics.waitingOnServer.load(ordering: .relaxed)
            if held > 0 { line += "; \(held) waiting as the server asked (429/503 Retry-After)" }
            return line
        }
        progress.report(fraction: Double(done) / Double(total), line())
    }
}

/// Where a download writes: the temporary index, made at once, or — refreshing a file in
/// place — only once a range has changed, so that a refresh in which every range is
/// unchanged writes nothing at all.
private final class IndexOutput {
    let path: String
    var writer: IndexWriter?
    /// Set while an in-place refresh defers writing.
    var base: BreachIndex?

    init(path: String) { self.path = path }

    /// `true` when `fetched` needs no writing yet: in place, before any change, a range the
    /// server confirmed with the base's own validator.
    func isDeferring(_ fetched: FetchedRange, prefix: Int) -> Bool {
        guard writer == nil, let base, case .unchanged(let validator) = fetched else { return false }
        return validator == base.validator(forPrefix: prefix)
    }
}
