import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

@Suite struct IndexIntegrityTests {
    @Test func verifyPassesOnAFreshIndex() throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 1)
        try writeIndex(entries, to: directory.file("index"))
        let result = try BreachIndex(path: directory.file("index")).verify()
        #expect(result.isIntact, "\(result.problems)")
        #expect(result.hashesChecked == UInt64(entries.count))
    }

    @Test func verifyCatchesASingleFlippedByteInTheData() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 1), to: directory.file("index"))
        try flipBitInBucket(prefix: 0xABCDE, of: directory.file("index"))
        let result = try BreachIndex(path: directory.file("index")).verify()
        #expect(!result.isIntact)
        #expect(result.problems.contains { $0.contains("checksum mismatch") }, "\(result.problems)")
        #expect(result.problems.contains { $0.contains("checksum mismatch") && $0.contains("AB000–ABFFF") })
    }

    @Test func openingAFileThatIsNotAnIndexFailsClearly() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("junk", String(repeating: "not an index\n", count: 1000))
        #expect { try BreachIndex(path: path) } throws: { error in
            "\(error)".contains("junk") && "\(error)".contains("not a")
        }
        #expect { try BreachIndex(path: directory.file("missing")) } throws: { "\($0)".contains("no such index file") }
    }

    @Test func manyThreadsReadOneIndexAtOnce() async throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 6)
        try writeIndex(entries, to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<20 {
                        for entry in entries where (entry.digest.middle &+ UInt64(worker + round)) % 4 == 0 {
                            if index.count(of: entry.digest) != entry.count { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}

@Suite struct ChunkVerificationTests {
    @Test func aChunkChecksumProblemIsFoundInTheDamagedChunkOnly() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 1), to: directory.file("index"))
        try flipBitInBucket(prefix: 0xABCDE, of: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        let problems = (0..<BreachIndex.checksumChunkCount).compactMap { chunk in
            index.checksumProblem(inChunk: chunk).map { (chunk, $0) }
        }
        #expect(problems.count == 1)
        #expect(problems.first?.0 == 0xAB)
        #expect(problems.first?.1 == "checksum mismatch in the buckets of prefixes AB000–ABFFF")
    }

    @Test func everyChunkOfAFreshIndexMatchesItsChecksum() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 2), to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        #expect((0..<BreachIndex.checksumChunkCount).allSatisfy { index.checksumProblem(inChunk: $0) == nil })
    }

    @Test func aFileCutOffIsRefusedAtOpen() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 1), to: directory.file("index"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.file("index")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: directory.file("half")))
        #expect { try BreachIndex(path: directory.file("half")) } throws: { error in
            "\(error)".contains(directory.file("half")) && "\(error)".contains("cut off")
        }
    }
}
