import BreachHash
import BreachIndex
import BreachIngest
import Foundation
import TestSupport
import Testing

@Suite struct IngestCompactTests {
    /// Unsorted input larger than the sort memory: the part that streamed through is kept
    /// as a compact partial index and merged with the sorted runs.
    @Test func ingestCompactAnswersAsTheCompactedFullIndexDoes() throws {
        let directory = try TemporaryDirectory()
        let entries = IngestMergeTests.randomEntries(20_000, seed: 31)
        let dump = try directory.write("dump.txt", IngestMergeTests.dump(entries + entries.prefix(500), seed: 32))
        let (full, _) = try ingest([dump], in: directory) { $0.memoryLimit = 64 << 10 }
        try FileManager.default.moveItem(atPath: directory.file("index"), toPath: directory.file("full"))
        let (compact, summary) = try ingest([dump], in: directory) {
            $0.memoryLimit = 64 << 10
            $0.indexFormat = .compact
        }
        #expect(compact.format == .compact)
        #expect(summary.metadata.hashCount == full.metadata.hashCount)
        #expect(summary.metadata.countSum == full.metadata.countSum)
        for entry in entries { #expect(compact.count(of: entry.digest) == full.count(of: entry.digest)) }
        #expect(compact.verify().isIntact)
    }

    @Test func aCompactBaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write("a.txt", "\(passwordSHA1):10\n")
        _ = try ingest([input], in: directory) { $0.indexFormat = .compact }
        try FileManager.default.moveItem(atPath: directory.file("index"), toPath: directory.file("base"))
        #expect { _ = try ingest([input], in: directory) { $0.base = directory.file("base") } } throws: {
            "\($0)".contains("a compact index cannot be a base")
        }
    }
}
