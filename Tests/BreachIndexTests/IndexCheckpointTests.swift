import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

@Suite struct IndexCheckpointTests {
    static let entries = IndexRoundTripTests.entries(.sha1, seed: 11).sorted { $0.digest < $1.digest }

    @Test func aWriterResumedAtItsCheckpointWritesTheSameIndexAsOneThatNeverStopped() throws {
        let directory = try TemporaryDirectory()
        let whole = try writeIndex(Self.entries, to: directory.file("whole"))
        let half = Self.entries.count / 2
        // Stop between prefixes, as a download does.
        let split = Self.entries.firstIndex { $0.digest.prefix > Self.entries[half].digest.prefix }!
        do {
            let writer = try IndexWriter(path: directory.file("resumed"), kind: .sha1)
            writer.commitsAutomatically = false
            for entry in Self.entries[..<split] { try writer.append(entry) }
            try writer.checkpoint(state: Array("where I was".utf8))
            // Written after the checkpoint and never committed: lost in the "crash".
            for entry in Self.entries[split...].prefix(100) { try writer.append(entry) }
        }
        let (writer, state) = try #require(try IndexWriter.resume(path: directory.file("resumed"), kind: .sha1))
        #expect(state == Array("where I was".utf8))
        for entry in Self.entries[split...] { try writer.append(entry) }
        let resumed = try writer.finish(sources: [])
        #expect(resumed.hashCount == whole.hashCount)
        #expect(resumed.countSum == whole.countSum)
        #expect(resumed.bucketCount == whole.bucketCount)
        #expect(resumed.contentDigest == whole.contentDigest)
        let index = try BreachIndex(path: directory.file("resumed"))
        #expect(index.verify().isIntact)
        for entry in Self.entries { #expect(index.count(of: entry.digest) == entry.count) }
    }

    @Test func aFileWithoutACheckpointIsNotResumed() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(Self.entries, to: directory.file("finished"))
        #expect(try IndexWriter.resume(path: directory.file("finished"), kind: .sha1) == nil)
        #expect(try IndexWriter.resume(path: directory.file("missing"), kind: .sha1) == nil)
    }

    /// A file with a checkpoint of the first half of `entries`, stored with `state`.
    func checkpointed(_ path: String, state: String) throws {
        let writer = try IndexWriter(path: path, kind: .sha1)
        writer.commitsAutomatically = false
        for entry in Self.entries.prefix(Self.entries.count / 2) { try writer.append(entry) }
        try writer.checkpoint(state: Array(state.utf8))
    }

    @Test func aCheckpointTheCallerRefusesIsNotResumed() throws {
        let directory = try TemporaryDirectory()
        try checkpointed(directory.file("other"), state: "another download")
        #expect(
            try IndexWriter.resume(path: directory.file("other"), kind: .sha1) { $0 == Array("this download".utf8) }
                == nil)
    }

    @Test func aFileThatIsNotLMDBIsAnErrorNamingIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("garbage")
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x5A, count: 16_384))
        let error = #expect(throws: IndexError.self) { try IndexWriter.resume(path: path, kind: .sha1) }
        #expect(error?.description == "\(path): not a BreachDB index (not an LMDB file)")
    }

    @Test func aCutOffFileIsAnErrorNamingIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut")
        try checkpointed(path, state: "here")
        // Only the two meta pages are left: they name data pages past the end.
        #expect(truncate(path, 2 * 4096) == 0)
        let error = #expect(throws: IndexError.self) { try IndexWriter.resume(path: path, kind: .sha1) }
        #expect(error?.description.hasPrefix("\(path): index is damaged: the file is cut off") == true)
    }

    @Test func validatorsAreStoredPerPrefix() throws {
        let directory = try TemporaryDirectory()
        let writer = try IndexWriter(path: directory.file("index"), kind: .sha1)
        for entry in Self.entries { try writer.append(entry) }
        try writer.setValidator("\"abc\"", forPrefix: 0x5BAA6)
        try writer.setValidator("W/\"def\"", forPrefix: 0xFFFFF)
        _ = try writer.finish(sources: [], coveredPrefixes: PrefixRange("00000-FFFFF"))
        let index = try BreachIndex(path: directory.file("index"))
        #expect(index.validator(forPrefix: 0x5BAA6) == "\"abc\"")
        #expect(index.validator(forPrefix: 0xFFFFF) == "W/\"def\"")
        #expect(index.validator(forPrefix: 0x00000) == nil)
        #expect(index.metadata.coveredPrefixes == .all)
    }

    @Test func equalBucketsGiveEqualContentDigestsAcrossBuilds() throws {
        let directory = try TemporaryDirectory()
        let first = try writeIndex(Self.entries, to: directory.file("first"))
        let second = try writeIndex(Self.entries, to: directory.file("second"))
        var changed = Self.entries
        changed[0].count += 1
        let third = try writeIndex(changed, to: directory.file("third"))
        #expect(first.generation != second.generation)
        #expect(first.contentDigest == second.contentDigest)
        #expect(first.contentDigest != third.contentDigest)
    }
}
