import BreachHash
import Foundation
import TestSupport
import Testing

@testable import BreachIndex

/// Slot marks (format versions 4 and 5): where every 64th slot begins in a bucket's slot
/// bits, so that a lookup scans fewer than 64 slots (docs/index-format.md).
@Suite struct SlotMarkTests {
    /// 24 prefixes at the real density (≈1,907 hashes: d = 10, 15 marks) and 24 at 19 (d = 4, no marks).
    static let entries =
        IndexFormatTests.entries(perPrefix: 1_907, prefixCount: 24, seed: 41)
        + IndexFormatTests.entries(perPrefix: 19, prefixCount: 48, seed: 42).filter { $0.digest.prefix >= 24 }

    static func write(
        _ entries: [HashCount], to path: String, formatVersion: Int = IndexFormat.full.formatVersion
    ) throws {
        let writer = try IndexWriter(path: path, kind: .sha1, formatVersion: formatVersion)
        for entry in entries.sorted(by: { $0.digest < $1.digest }) { try writer.append(entry) }
        try writer.finish(sources: [])
    }

    /// `entries` written twice in `directory`, with slot marks (format version 4 or 5) and
    /// without (2 or 3), and opened.
    static func markedAndOlder(
        in directory: TemporaryDirectory, format: IndexFormat = .full
    ) throws -> (marked: BreachIndex, older: BreachIndex) {
        try write(entries, to: directory.file("marked"), formatVersion: format.formatVersion)
        try write(entries, to: directory.file("older"), formatVersion: format == .full ? 2 : 3)
        return (try BreachIndex(path: directory.file("marked")), try BreachIndex(path: directory.file("older")))
    }

    /// Stored hashes, then as many random non-members of the same prefixes.
    static func queries(_ entries: [HashCount], seed: UInt64) -> [HashDigest] {
        var random = SeededRandom(seed: seed)
        let prefixes = Set(entries.map(\.digest.prefix)).sorted()
        return entries.map(\.digest)
            + (0..<entries.count).map { _ in
                random.digest(.sha1, prefix: prefixes[Int(random.next() % UInt64(prefixes.count))])
            }
    }

    @Test func anIndexWithSlotMarksAnswersAsOneWithoutThem() throws {
        let directory = try TemporaryDirectory()
        let (marked, older) = try Self.markedAndOlder(in: directory)
        #expect(marked.metadata.formatVersion == 4)
        #expect(older.metadata.formatVersion == 2)
        #expect(try #require(marked.bucket(0)).layout.markCount == 15)
        #expect(try #require(older.bucket(0)).layout.markCount == 0)
        let queries = Self.queries(Self.entries, seed: 43)
        let expected = Dictionary(uniqueKeysWithValues: Self.entries.map { ($0.digest, $0.count) })
        for query in queries {
            #expect(marked.count(of: query) == expected[query, default: 0])
            #expect(older.count(of: query) == expected[query, default: 0])
        }
        #expect(marked.counts(of: queries) == queries.map { expected[$0, default: 0] })
        #expect(older.counts(of: queries) == queries.map { expected[$0, default: 0] })
        for prefix in 0..<48 { #expect(marked.entries(withPrefix: prefix) == older.entries(withPrefix: prefix)) }
        #expect(marked.verify().isIntact, "\(marked.verify().problems)")
        #expect(older.verify().isIntact, "\(older.verify().problems)")
    }

    @Test func aCompactIndexWithSlotMarksAnswersAsOneWithoutThem() throws {
        let directory = try TemporaryDirectory()
        let (marked, older) = try Self.markedAndOlder(in: directory, format: .compact)
        #expect(marked.metadata.formatVersion == 5 && marked.format == .compact)
        #expect(older.metadata.formatVersion == 3 && older.format == .compact)
        let queries = Self.queries(Self.entries, seed: 44)
        #expect(marked.counts(of: queries) == older.counts(of: queries))
        #expect(marked.verify().isIntact, "\(marked.verify().problems)")
    }

    @Test func aBucketTooLargeForTwoByteMarksHasFourByteMarks() throws {
        // 70,000 hashes in one prefix: d = 16, and slot bits longer than 65,536.
        var random = SeededRandom(seed: 45)
        let entries = Set((0..<70_000).map { _ in random.digest(.sha1, prefix: 7) }).map {
            HashCount(digest: $0, count: random.paretoCount())
        }
        let directory = try TemporaryDirectory()
        try Self.write(entries, to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        let layout = try #require(index.bucket(7)).layout
        #expect(layout.markWidth == 4 && layout.markCount == (1 << layout.slotBits) / 64 - 1)
        let queries = Self.queries(entries, seed: 46)
        let expected = Dictionary(uniqueKeysWithValues: entries.map { ($0.digest, $0.count) })
        #expect(index.counts(of: queries) == queries.map { expected[$0, default: 0] })
        #expect(queries.allSatisfy { index.count(of: $0) == expected[$0, default: 0] })
        #expect(index.verify().isIntact, "\(index.verify().problems)")
    }

    /// The index at `path` with the stored bucket of prefix 3 changed by `damage` (given the
    /// file's bytes, the bucket's offset in them and its layout).
    static func damagingBucket(
        of path: String, _ damage: (inout [UInt8], _ start: Int, _ layout: BucketLayout) throws -> Void
    ) throws {
        let index = try BreachIndex(path: path)
        let bucket = index.storedBucket(prefix: 3)
        let layout = try #require(index.bucket(3)).layout
        var bytes = try fileBytes(path)
        let start = try #require(
            (0...(bytes.count - bucket.count)).first { bytes[$0..<($0 + bucket.count)].elementsEqual(bucket) })
        try damage(&bytes, start, layout)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The index at `path` with the marks of prefix 3's bucket changed by `damage` (given
    /// each mark's offset in the file and its width).
    static func damagingMarks(of path: String, _ damage: (inout [UInt8], _ offset: Int, _ width: Int) -> Void) throws {
        try damagingBucket(of: path) { bytes, start, layout in
            for mark in 0..<layout.markCount {
                damage(&bytes, start + layout.marksOffset + mark * layout.markWidth, layout.markWidth)
            }
        }
    }

    /// Hashes of prefix 3 whose slot lies in 512…575, the window of its eighth mark.
    static let eighthMarksHashes = entries.filter {
        $0.digest.prefix == 3 && (512..<576).contains(Int($0.digest.bits(at: 20, count: 10)))
    }

    @Test func verifyReportsASlotMarkThatDisagreesWithTheSlotBits() throws {
        let directory = try TemporaryDirectory()
        try Self.write(Self.entries, to: directory.file("index"))
        var mark = 0
        try Self.damagingMarks(of: directory.file("index")) { bytes, offset, _ in
            if mark == 7 { bytes[offset] ^= 0x01 }  // the eighth mark's low bit
            mark += 1
        }
        let index = try BreachIndex(path: directory.file("index"))
        #expect(index.verify().problems.contains("bucket 00003: slot marks do not match its slot bits"))
        // Lookups start from the marks: those of the eighth's window now miss.
        #expect(!Self.eighthMarksHashes.isEmpty)
        #expect(Self.eighthMarksHashes.contains { index.count(of: $0.digest) != $0.count })
        #expect(
            index.counts(of: Self.eighthMarksHashes.map(\.digest))
                == Self.eighthMarksHashes.map { index.count(of: $0.digest) })
    }

    @Test(arguments: [UInt8(0x00), 0xFF])
    func marksDamagedToTheExtremesGiveWrongCountsNotACrash(_ filler: UInt8) throws {
        let directory = try TemporaryDirectory()
        try Self.write(Self.entries, to: directory.file("index"))
        try Self.damagingMarks(of: directory.file("index")) { bytes, offset, width in
            for byte in 0..<width { bytes[offset + byte] = filler }
        }
        let index = try BreachIndex(path: directory.file("index"))
        let queries = Self.queries(Self.entries.filter { $0.digest.prefix == 3 }, seed: 48)
        #expect(index.counts(of: queries) == queries.map { index.count(of: $0) })
        #expect(!index.verify().isIntact)
    }

    @Test func slotsAroundTheFirstMarkAreFoundWithAnEmptyWindowBetween() throws {
        // 150 hashes of prefix 5 (d = 7: 128 slots, one mark, at slot 64): 120 in slots 0…63
        // (slot 63 among them), none in 64…126, 30 in slot 127. And 100 of prefix 6 (d = 6:
        // no marks), slots 63 and 0.
        var random = SeededRandom(seed: 49)
        func hash(prefix: Int, slot: Int, slotBits: Int) -> HashDigest {
            let rest = random.next() & ((1 << (44 - UInt64(slotBits))) - 1)
            return HashDigest(
                high: UInt64(prefix) << 44 | UInt64(slot) << (44 - UInt64(slotBits)) | rest, middle: random.next(),
                low: UInt32(truncatingIfNeeded: random.next()))
        }
        let digests =
            (0..<119).map { hash(prefix: 5, slot: $0 % 64, slotBits: 7) } + [hash(prefix: 5, slot: 63, slotBits: 7)]
            + (0..<30).map { _ in hash(prefix: 5, slot: 127, slotBits: 7) }
            + (0..<100).map { hash(prefix: 6, slot: $0 % 2 == 0 ? 0 : 63, slotBits: 6) }
        let entries = Set(digests).map { HashCount(digest: $0, count: 1 + random.next() % 1000) }
        let directory = try TemporaryDirectory()
        try Self.write(entries, to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        #expect(try #require(index.bucket(5)).layout.markCount == 1)
        #expect(try #require(index.bucket(6)).layout.markCount == 0)
        for entry in entries { #expect(index.count(of: entry.digest) == entry.count) }
        let absent = [64, 65, 100, 126].map { hash(prefix: 5, slot: $0, slotBits: 7) }
        #expect(absent.allSatisfy { index.count(of: $0) == 0 })
        #expect(index.counts(of: entries.map(\.digest) + absent) == entries.map(\.count) + [0, 0, 0, 0])
        #expect(index.verify().isIntact, "\(index.verify().problems)")
    }

    /// Replicas revalidate ranges by ETag: a primary rebuilt with slot marks must not make
    /// them fetch every range again.
    @Test func aRangeKeepsItsContentTagWhenItsIndexGainsSlotMarks() throws {
        let directory = try TemporaryDirectory()
        let (marked, older) = try Self.markedAndOlder(in: directory)
        #expect(marked.storedBucket(prefix: 0) != older.storedBucket(prefix: 0))
        for prefix in 0..<50 { #expect(marked.contentTag(forPrefix: prefix) == older.contentTag(forPrefix: prefix)) }
    }

    @Test func aBucketCopiedFromAnIndexWithoutSlotMarksIsCodedWithThem() throws {
        let directory = try TemporaryDirectory()
        try Self.write(Self.entries, to: directory.file("older"), formatVersion: 2)
        let older = try BreachIndex(path: directory.file("older"))
        let writer = try IndexWriter(path: directory.file("copy"), kind: .sha1)
        for prefix in 0..<48 { try writer.appendBucket(of: older, prefix: prefix) }
        try writer.finish(sources: [])
        let copy = try BreachIndex(path: directory.file("copy"))
        #expect(try #require(copy.bucket(0)).layout.markCount == 15)
        #expect(copy.verify().isIntact, "\(copy.verify().problems)")
        for entry in Self.entries { #expect(copy.count(of: entry.digest) == entry.count) }
    }

    @Test func anInterruptedWriteOfTheFormatWithoutSlotMarksIsNotResumed() throws {
        let directory = try TemporaryDirectory()
        do {
            let writer = try IndexWriter(
                path: directory.file("partial"), kind: .sha1, formatVersion: 2)
            writer.commitsAutomatically = false
            for entry in Self.entries.sorted(by: { $0.digest < $1.digest }).prefix(5_000) { try writer.append(entry) }
            try writer.checkpoint(state: Array("older build".utf8))
        }
        #expect(try IndexWriter.resume(path: directory.file("partial"), kind: .sha1) == nil)
    }

    @Test func theSetBitOfEachRankIsFoundInAnyWord() {
        var random = SeededRandom(seed: 47)
        let words: [UInt64] = [1, 1 << 63, .max, 0x8000_0000_0000_0001] + (0..<2_000).map { _ in random.next() }
        for word in words {
            var expected: [Int] = [], rest = word
            while rest != 0 {
                expected.append(rest.trailingZeroBitCount)
                rest &= rest - 1
            }
            #expect(expected.indices.map { BucketReader.position(ofSetBit: $0, in: word) } == expected)
        }
    }
}
