import ArgumentParser
import BreachIndex
import BreachSupport
import Foundation

struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the compact, check-only form of a full index.",
        discussion: """
            Keeps the first 64 bits of each hash and its exact count, in the same bucket \
            layout: about a third of the size, for nodes that only check passwords. A hash \
            not in the index reads as present with probability n / 2^64 per query (`stats` \
            prints it); range queries and `export` need the full index. OUTPUT is written \
            beside its final name and renamed over it only when complete.
            """
    )

    @OptionGroup var index: IndexOption

    @Option(name: .shortAndLong, help: "The compact index file to write (replaced atomically).")
    var output: String

    @Flag(help: "Print no progress, only the summary.")
    var quiet = false

    func run() throws {
        let full = try index.open()
        let started = ContinuousClock.now
        let total = full.metadata.hashCount
        // Progress on a terminal, one line rewritten as each percent completes.
        let showsProgress = !quiet && isatty(2) == 1 && total > 0
        var shown: UInt64 = 0
        let metadata: IndexMetadata
        do {
            metadata = try full.writeCompact(to: output) { read in
                guard showsProgress, read * 100 / total > shown else { return }
                shown = read * 100 / total
                FileHandle.standardError.write(
                    Data("\rcompacting: \(shown) % (\(read.formatted()) of \(total.formatted()) hashes)".utf8))
            }
        } catch {
            throw CommandFailure("compact failed: \(error)")
        }
        if showsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let size = fileSize(atPath: output) ?? 0
        let perHash = metadata.hashCount == 0 ? 0 : Double(size) / Double(metadata.hashCount)
        var lines = [
            "wrote \(output): compact index, \(metadata.hashCount.formatted()) 64-bit keys of \(full.metadata.hashCount.formatted()) \(metadata.hashKind.rawValue) hashes, counts summing to \(metadata.countSum.formatted())",
            "file: \(size.formatted()) bytes, \(String(format: "%.2f", perHash)) bytes/hash, in \(String(format: "%.2f", seconds)) s",
            "false positives: \(Stats.describe(falsePositiveProbability: metadata.falsePositiveProbability))",
        ]
        if metadata.hashCount < full.metadata.hashCount {
            lines.append(
                "hashes sharing their first 64 bits with another (counts summed): \((full.metadata.hashCount - metadata.hashCount).formatted())"
            )
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
