import BreachHash
import BreachIndex
import BreachIngest
import Foundation
import TestSupport
import Testing

@Suite struct IngestMergeTests {
    /// `HASH:COUNT` lines for `entries`, shuffled.
    static func dump(_ entries: [HashCount], seed: UInt64) -> String {
        var random = SeededRandom(seed: seed)
        return entries.shuffled(using: &random).map { "\(Hex.string($0.digest, kind: .sha1)):\($0.count)" }.joined(
            separator: "\n")
    }

    static func randomEntries(_ n: Int, seed: UInt64) -> [HashCount] {
        var random = SeededRandom(seed: seed)
        return (0..<n).map { _ in
            HashCount(digest: randomDigest(.sha1, using: &random), count: randomCount(using: &random))
        }
    }

    @Test func countsAreSummedAcrossUnsortedOverlappingInputsLargerThanMemory() throws {
        let directory = try TemporaryDirectory()
        let a = Self.randomEntries(20_000, seed: 1)
        let b = Array(a[5_000..<15_000]) + Self.randomEntries(8_000, seed: 2)
        let first = try directory.write("a.txt", Self.dump(a + a.prefix(1_000), seed: 3))
        let second = try directory.write("b.txt", Self.dump(b, seed: 4))
        // 64 KiB of sort memory holds ~1,400 hashes: this spills dozens of runs.
        let (index, summary) = try ingest([first, second], in: directory) { $0.memoryLimit = 64 << 10 }
        var expected: [HashDigest: UInt64] = [:]
        for entry in a + a.prefix(1_000) + b { expected[entry.digest, default: 0] += entry.count }
        for (digest, count) in expected { #expect(index.count(of: digest) == count) }
        #expect(summary.metadata.hashCount == UInt64(expected.count))
        #expect(summary.duplicatesMerged == UInt64(a.count + 1_000 + b.count - expected.count))
        #expect(index.verify().isIntact)
    }

    /// Counts summed past 2⁶⁴ − 1 (hostile or damaged input) stay at the most, whether the
    /// copies meet in one sorted run or across runs: a wrapped sum would read as rarely seen.
    @Test(arguments: [1 << 20, 64 << 10])
    func countsSummedPastTheLargestStayAtTheLargest(memoryLimit: Int) throws {
        let directory = try TemporaryDirectory()
        let lines =
            ["\(passwordSHA1):\(UInt64.max)", "\(passwordSHA1):5"]
            + Self.dump(Self.randomEntries(3_000, seed: 9), seed: 10).split(separator: "\n").map(String.init)
        let first = try directory.write("a.txt", lines.joined(separator: "\n"))
        let second = try directory.write("b.txt", "\(passwordSHA1):7\n")
        let (index, summary) = try ingest([first, second], in: directory) { $0.memoryLimit = memoryLimit }
        #expect(index.count(of: digest(passwordSHA1)) == .max)
        #expect(summary.metadata.countSum == .max)
        #expect(index.verify().isIntact)
    }

    @Test func sortedInputStreamsThroughToTheSameIndex() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.randomEntries(5_000, seed: 9).sorted { $0.digest < $1.digest }
        let sorted = try directory.write(
            "sorted.txt", entries.map { "\(Hex.string($0.digest, kind: .sha1)):\($0.count)" }.joined(separator: "\n"))
        let (index, _) = try ingest([sorted], in: directory) { $0.memoryLimit = 64 << 10 }
        for entry in entries { #expect(index.count(of: entry.digest) == entry.count) }
        // No sort runs were needed: nothing but the index is left in the directory.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["index", "sorted.txt"])
    }

    @Test func baseMergeSumsCountsIntoANewIndex() throws {
        let directory = try TemporaryDirectory()
        let old = try directory.write("old.txt", "\(passwordSHA1):10\n7C4A8D09CA3762AF61E59520943DC26494F8941B:1\n")
        _ = try ingest([old], in: directory)
        try FileManager.default.moveItem(atPath: directory.file("index"), toPath: directory.file("base"))
        let new = try directory.write("new.txt", "\(passwordSHA1):5\nF7C3BC1D808E04732ADF679965CCC34CA7AE3441:2\n")
        let (index, _) = try ingest([new], in: directory) { $0.base = directory.file("base") }
        #expect(index.count(ofPassword: "password") == 15)
        #expect(index.count(of: digest("7C4A8D09CA3762AF61E59520943DC26494F8941B")) == 1)
        #expect(index.count(of: digest("F7C3BC1D808E04732ADF679965CCC34CA7AE3441")) == 2)
        #expect(index.metadata.sources.map(\.path) == [old, new])
    }

    @Test func baseOfAnotherHashKindIsRefused() throws {
        let directory = try TemporaryDirectory()
        let ntlm = try directory.write("ntlm.txt", "8846F7EAEE8FB117AD06BDD830B7586C:1\n")
        _ = try ingest([ntlm], in: directory) { $0.hashKind = .ntlm }
        let sha1 = try directory.write("sha1.txt", "\(passwordSHA1):1\n")
        #expect { _ = try ingest([sha1], in: directory) { $0.base = directory.file("index") } } throws: {
            "\($0)".contains("ntlm")
        }
    }

    @Test func minCountKeepsHashesSeenAtLeastThatOften() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("dump.txt", "\(passwordSHA1):10\n7C4A8D09CA3762AF61E59520943DC26494F8941B:9\n")
        let (index, summary) = try ingest([dump], in: directory) { $0.minimumCount = 10 }
        #expect(index.count(ofPassword: "password") == 10)
        #expect(index.count(of: digest("7C4A8D09CA3762AF61E59520943DC26494F8941B")) == 0)
        #expect(summary.belowMinimum == 1)
    }

    @Test func minCountAppliesToCountsSummedAcrossInputs() throws {
        // The first input streams through sorted with each count under the minimum;
        // the second, out of order, lifts some over it. Nothing may be lost.
        let directory = try TemporaryDirectory()
        let entries = Self.randomEntries(3_000, seed: 5).map { HashCount(digest: $0.digest, count: 3) }.sorted {
            $0.digest < $1.digest
        }
        let first = try directory.write(
            "a.txt", entries.map { "\(Hex.string($0.digest, kind: .sha1)):3" }.joined(separator: "\n"))
        let lifted = entries.enumerated().filter { $0.offset % 2 == 0 }.map {
            HashCount(digest: $0.element.digest, count: 2)
        }
        let second = try directory.write("b.txt", Self.dump(lifted, seed: 6))
        let (index, _) = try ingest([first, second], in: directory) {
            $0.minimumCount = 5
            $0.memoryLimit = 64 << 10
        }
        for (i, entry) in entries.enumerated() {
            #expect(index.count(of: entry.digest) == (i % 2 == 0 ? 5 : 0))
        }
    }
}
