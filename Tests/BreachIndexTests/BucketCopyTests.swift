import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

/// A refresh copies unchanged ranges from its base as stored (`IndexWriter.appendBucket`).
@Suite struct BucketCopyTests {
    /// Every range copied, some whole and some hash by hash, gives the very same file content.
    @Test(arguments: HashKind.allCases)
    func copyingEveryRangeGivesTheSameContent(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(kind, seed: 11).sorted { $0.digest < $1.digest }
        try writeIndex(entries, kind: kind, to: directory.file("base"))
        let base = try BreachIndex(path: directory.file("base"))
        let writer = try IndexWriter(path: directory.file("copy"), kind: kind)
        for prefix in 0..<(1 << 20) where base.hasEntries(withPrefix: prefix) {
            if prefix % 2 == 0 {
                try writer.appendBucket(of: base, prefix: prefix)
            } else {
                try base.forEachEntry(withPrefix: prefix) { try writer.append($0) }
            }
        }
        let copied = try writer.finish(sources: [])
        #expect(copied.contentDigest == base.metadata.contentDigest)
        #expect(copied.hashCount == base.metadata.hashCount)
        #expect(copied.countSum == base.metadata.countSum)
        #expect(try BreachIndex(path: directory.file("copy")).verify().isIntact)
    }

    /// A copied range is whole: a hash of its prefix after it would make a second bucket.
    @Test func nothingOfACopiedRangeMayFollowIt() throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 12).sorted { $0.digest < $1.digest }
        try writeIndex(entries, to: directory.file("base"))
        let base = try BreachIndex(path: directory.file("base"))
        let writer = try IndexWriter(path: directory.file("copy"), kind: .sha1)
        try writer.appendBucket(of: base, prefix: 0x5BAA6)
        let later = HashDigest(high: 0x5BAA6 << 44 | (1 << 44 - 1), middle: .max, low: .max)
        #expect(throws: IndexError.self) { try writer.append(HashCount(digest: later, count: 1)) }
    }

    /// Into a compact index a full base's range is re-coded, not copied: the bytes differ.
    @Test func aFullRangeIntoACompactIndexIsRecoded() throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 13).sorted { $0.digest < $1.digest }
        try writeIndex(entries, to: directory.file("base"))
        let base = try BreachIndex(path: directory.file("base"))
        let writer = try IndexWriter(path: directory.file("compact"), kind: .sha1, format: .compact)
        for prefix in 0..<(1 << 20) where base.hasEntries(withPrefix: prefix) {
            try writer.appendBucket(of: base, prefix: prefix)
        }
        _ = try writer.finish(sources: [])
        let compact = try BreachIndex(path: directory.file("compact"))
        #expect(compact.format == .compact)
        for entry in entries { #expect(compact.count(of: entry.digest) == entry.count) }
    }
}
