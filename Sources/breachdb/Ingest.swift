import ArgumentParser
import BreachHash
import BreachIndex
import BreachIngest
import BreachSupport
import Foundation

extension InputFormat: ExpressibleByArgument {}
extension HashKind: ExpressibleByArgument {}

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an index from breach dumps.",
        discussion: """
            Inputs may be Pwned Passwords downloads (HASH:COUNT lines), bare hash lists, \
            directories of range files, or plaintext password lists; files ending in .gz are \
            decompressed. Counts of a hash seen several times are summed. The index is \
            written beside OUTPUT and renamed over it only when complete: an existing index \
            is never left half-written.
            """
    )

    @Option(name: .shortAndLong, help: "The index file to write (replaced atomically).")
    var output: String

    @Option(help: "Input format: auto tells hibp, sha1 and range-dir apart; plaintext only by name.")
    var format: InputFormat = .auto

    @Option(help: "Hash kind of the index: sha1 or ntlm.")
    var hash: HashKind = .sha1

    @Flag(
        help: "Write a compact, check-only index: the first 64 bits of each hash, counts exact (no /range, no export).")
    var compact = false

    @Option(help: "An existing index to merge the inputs into (counts summed).")
    var base: String?

    @Option(help: "Keep only hashes seen at least this many times.")
    var minCount: UInt64 = 1

    @Option(help: "Memory for sorting unsorted input, e.g. 512M, 2G (the rest spills to disk beside the output).")
    var memory: String = "2G"

    @Flag(help: "Count and skip malformed lines instead of stopping at the first.")
    var skipInvalid = false

    @Flag(help: "Print no progress, only the summary.")
    var quiet = false

    @Argument(help: "Input files or directories; - reads standard input.")
    var inputs: [String]

    func run() throws {
        guard let memoryLimit = Self.parseSize(memory) else {
            throw ValidationError("--memory: expected a size such as 512M or 2G, got '\(memory)'")
        }
        var options = IngestOptions(output: output, inputs: inputs)
        options.format = format
        options.hashKind = hash
        options.indexFormat = compact ? .compact : .full
        options.base = base
        options.minimumCount = minCount
        options.memoryLimit = memoryLimit
        options.skipInvalid = skipInvalid
        let progress = quiet ? nil : ProgressReporter(isTerminal: isatty(2) == 1)
        let summary: IngestSummary
        do {
            summary = try Ingestor(options: options, progress: progress).run()
        } catch {
            throw CommandFailure("ingest failed: \(error)")
        }
        printSummary(summary)
    }

    private func printSummary(_ summary: IngestSummary) {
        let m = summary.metadata
        var lines = [
            "wrote \(output): \(m.format == .compact ? "compact index, " : "")\(m.hashCount.formatted()) \(m.hashKind.rawValue) \(m.format == .compact ? "64-bit keys" : "hashes") in \(m.bucketCount.formatted()) buckets, counts summing to \(m.countSum.formatted())",
            "read \(summary.linesRead.formatted()) lines (\(summary.hashesRead.formatted()) hashes) in \(String(format: "%.2f", summary.seconds)) s (\(Int(Double(summary.linesRead) / max(summary.seconds, 1e-9)).formatted()) lines/s)",
            "duplicates merged: \(summary.duplicatesMerged.formatted()); skipped (empty or padding): \(summary.linesSkipped.formatted()); refused: \(summary.linesRefused.formatted())",
            "file: \(summary.fileBytes.formatted()) bytes, \(String(format: "%.2f", summary.bytesPerHash)) bytes/hash",
        ]
        if m.minimumCount > 1 {
            lines.append("left out under --min-count \(m.minimumCount): \(summary.belowMinimum.formatted())")
        }
        for refusal in summary.refusals { lines.append("refused \(refusal)") }
        for ignored in summary.filesIgnored { lines.append("ignored \(ignored) (not a range file name)") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// `512M`, `2G`, `1073741824`.
    static func parseSize(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        if digits.hasSuffix("B") { digits.removeLast() }
        var scale = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits.removeLast()
        }
        guard let value = Int(digits), value > 0 else { return nil }
        return value.multipliedReportingOverflow(by: scale).overflow ? nil : value * scale
    }
}
