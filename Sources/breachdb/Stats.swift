import ArgumentParser
import BreachIndex
import BreachSupport
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe an index: hashes, counts, size, sources.")

    @OptionGroup var index: IndexOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let index = try self.index.open()
        let m = index.metadata
        let size =
            fileSize(atPath: index.path) ?? 0
        let perHash = m.hashCount == 0 ? 0 : Double(size) / Double(m.hashCount)
        if json {
            struct Report: Encodable {
                let path: String
                let fileBytes: UInt64
                let bytesPerHash: Double
                let format: IndexFormat
                let falsePositiveProbability: Double
                let metadata: IndexMetadata
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let data = try encoder.encode(
                Report(
                    path: index.path, fileBytes: size, bytesPerHash: perHash, format: index.format,
                    falsePositiveProbability: m.falsePositiveProbability, metadata: m))
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(
            """
            index:          \(index.path)
            format:         version \(m.formatVersion), \(m.hashKind.rawValue), \(index.format.rawValue) (\(index.format.keyBits(for: m.hashKind)) bits of each hash kept)
            false positives: \(Self.describe(falsePositiveProbability: m.falsePositiveProbability))
            hashes:         \(m.hashCount.formatted())
            sum of counts:  \(m.countSum.formatted())
            buckets:        \(m.bucketCount.formatted()) of 1,048,576 prefixes
            file size:      \(size.formatted()) bytes (\(String(format: "%.2f", perHash)) bytes/hash)
            built:          \(m.builtAt.formatted(.iso8601))
            generation:     \(m.generation)
            minimum count:  \(m.minimumCount)
            covers:         \(m.coveredPrefixes.map { $0.isAll ? "all prefixes" : "prefixes \($0) (\($0.count.formatted()))" } ?? "all prefixes")
            content digest: \(m.contentDigest ?? "none (an index built before digests were recorded)")
            """)
        for source in m.sources {
            print(
                "source:         \(source.path) (\(source.format)\(source.bytes.map { ", \($0.formatted()) bytes" } ?? ""))"
            )
        }
    }

    /// `0 (whole hashes)`, or the chance per query, e.g. `1.1e-10 per query (n / 2^64)`.
    static func describe(falsePositiveProbability p: Double) -> String {
        p == 0 ? "none (whole hashes kept)" : String(format: "%.2g per query of a hash not in the index (n / 2^64)", p)
    }
}
