import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

/// The compact format (first 64 bits of each hash, exact counts) and what it refuses.
@Suite struct CompactIndexTests {
    /// A full index of `IndexRoundTripTests.entries` and its compact form, in `directory`.
    static func build(_ kind: HashKind, in directory: TemporaryDirectory) throws -> (
        full: BreachIndex, compact: BreachIndex, entries: [HashCount]
    ) {
        let entries = IndexRoundTripTests.entries(kind, seed: 21)
        try writeIndex(entries, kind: kind, to: directory.file("full"))
        let full = try BreachIndex(path: directory.file("full"))
        _ = try full.writeCompact(to: directory.file("compact"))
        return (full, try BreachIndex(path: directory.file("compact")), entries)
    }

    @Test(arguments: HashKind.allCases)
    func compactAnswersEqualTheFullIndexOnEveryStoredHash(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        let (full, compact, entries) = try Self.build(kind, in: directory)
        #expect(compact.format == .compact && full.format == .full)
        for entry in entries {
            #expect(compact.count(of: entry.digest) == full.count(of: entry.digest))
        }
        #expect(compact.metadata.hashCount == full.metadata.hashCount)
        #expect(compact.metadata.countSum == full.metadata.countSum)
    }

    @Test func compactIsSmallerThanFull() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.build(.sha1, in: directory)
        let size = { (name: String) in
            try FileManager.default.attributesOfItem(atPath: directory.file(name))[.size] as! Int
        }
        #expect(try size("compact") < size("full"))
    }

    @Test func randomNonMembersAreAbsentFromACompactIndex() throws {
        let directory = try TemporaryDirectory()
        let (_, compact, entries) = try Self.build(.sha1, in: directory)
        var random = SeededRandom(seed: 5)
        for entry in entries.prefix(2_000) {
            #expect(compact.count(of: randomDigest(.sha1, prefix: entry.digest.prefix, using: &random)) == 0)
        }
    }

    /// The false positive the format accepts: only the first 64 bits are compared.
    @Test func aHashDifferingOnlyAfterItsFirst64BitsReadsAsPresent() throws {
        let directory = try TemporaryDirectory()
        let (_, compact, entries) = try Self.build(.sha1, in: directory)
        var twin = entries[0].digest
        twin.low ^= 1
        #expect(compact.count(of: twin) == compact.count(of: entries[0].digest))
        #expect(compact.count(of: twin) > 0)
    }

    @Test func hashesSharingTheirFirst64BitsKeepOneKeyWithTheSummedCount() throws {
        let directory = try TemporaryDirectory()
        let a = HashDigest(high: 0x5BAA_61E4_C9B9_3F3F, middle: 1, low: 0)
        let b = HashDigest(high: 0x5BAA_61E4_C9B9_3F3F, middle: 2, low: 7)
        let c = HashDigest(high: 0x5BAA_61E4_C9B9_3F40, middle: 0, low: 0)
        try writeIndex(
            [HashCount(digest: a, count: 3), HashCount(digest: b, count: 4), HashCount(digest: c, count: 9)],
            to: directory.file("full"))
        let metadata = try BreachIndex(path: directory.file("full")).writeCompact(to: directory.file("compact"))
        let compact = try BreachIndex(path: directory.file("compact"))
        #expect(metadata.hashCount == 2)
        #expect(metadata.countSum == 16)
        #expect(compact.count(of: a) == 7 && compact.count(of: b) == 7 && compact.count(of: c) == 9)
        #expect(compact.verify().isIntact)
    }

    @Test func falsePositiveProbabilityIsTheShareOf64BitKeysTaken() throws {
        let directory = try TemporaryDirectory()
        let (full, compact, _) = try Self.build(.sha1, in: directory)
        #expect(full.metadata.falsePositiveProbability == 0)
        #expect(compact.metadata.falsePositiveProbability == Double(compact.metadata.hashCount) / 0x1p64)
    }

    @Test func aFlippedBitInACompactIndexIsCaughtByVerify() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.build(.sha1, in: directory)
        #expect(try BreachIndex(path: directory.file("compact")).verify().isIntact)
        try flipBitInBucket(prefix: 0xABCDE, of: directory.file("compact"))
        let result = try BreachIndex(path: directory.file("compact")).verify()
        #expect(!result.isIntact)
        #expect(result.problems.contains { $0.hasPrefix("checksum mismatch in the buckets of prefixes AB000–ABFFF") })
    }

    @Test func aCompactIndexCannotBeExportedOrCompactedAgain() throws {
        let directory = try TemporaryDirectory()
        let (_, compact, _) = try Self.build(.sha1, in: directory)
        #expect(!compact.answersRanges)
        #expect { try compact.exportLines { _ in } } throws: {
            "\($0)".contains("compact index keeps only the first 64 bits")
        }
        #expect { try compact.writeCompact(to: directory.file("again")) } throws: {
            "\($0)".contains("cannot be exported or compacted again")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("again")))
    }
}

/// `counts(of:)`: many lookups at once, with their memory reads overlapped.
@Suite struct BatchLookupTests {
    @Test(arguments: [IndexFormat.full, .compact])
    func batchCountsEqualSingleCountsInOrder(_ format: IndexFormat) throws {
        let directory = try TemporaryDirectory()
        let (full, compact, entries) = try CompactIndexTests.build(.sha1, in: directory)
        let index = format == .full ? full : compact
        var random = SeededRandom(seed: 11)
        // Present and absent hashes interleaved, some repeated, some in empty prefixes.
        var queries: [HashDigest] = []
        for entry in entries.shuffled(using: &random).prefix(3_000) {
            queries.append(entry.digest)
            queries.append(randomDigest(.sha1, using: &random))
        }
        queries += queries.prefix(50)
        let counts = index.counts(of: queries)
        #expect(counts == queries.map { index.count(of: $0) })
        #expect(counts.filter { $0 > 0 }.count >= 3_000)
    }

    /// Each stage prefetches only what the next reads: every stored hash of buckets of 1
    /// to 2,500 entries must still be found with its count, and its nearest non-members not
    /// (the last bit a compact index keeps flipped; the same value one slot up and one slot
    /// down, which a slot's range one entry too wide or too early would reach).
    @Test(arguments: [IndexFormat.full, .compact])
    func batchFindsEveryStoredHashAndNoNeighbour(_ format: IndexFormat) throws {
        let directory = try TemporaryDirectory()
        let (full, compact, entries) = try CompactIndexTests.build(.sha1, in: directory)
        let index = format == .full ? full : compact
        let stored = Set(entries.map(\.digest))
        let counts = index.counts(of: entries.map(\.digest))
        #expect(zip(counts, entries).filter { $0 != $1.count }.count == 0, "stored hashes answered wrongly")
        let bucketSizes = Dictionary(grouping: entries, by: \.digest.prefix).mapValues(\.count)
        let neighbours = entries.flatMap { entry in
            let n = bucketSizes[entry.digest.prefix]!
            // The slot is the d = ⌊log₂ n⌋ bits after the 20-bit prefix: its lowest is bit 44 − d.
            let slot = UInt64(1) << (44 - (Int.bitWidth - 1 - n.leadingZeroBitCount))
            var lastBit = entry.digest, slotUp = entry.digest, slotDown = entry.digest
            lastBit.high ^= 1  // the 64th bit: the last one a compact index keeps
            slotUp.high &+= slot
            slotDown.high &-= slot
            return [lastBit, slotUp, slotDown].filter { !stored.contains($0) && $0.prefix == entry.digest.prefix }
        }
        #expect(neighbours.count > entries.count)
        #expect(index.counts(of: neighbours).filter { $0 != 0 }.count == 0, "neighbours found")
    }

    /// Batches long enough to be sorted by prefix, one part (the shortest) and more than one
    /// (the last part too short to sort): each count must land at its own query's place,
    /// among hashes asked more than once.
    @Test(
        arguments: [IndexFormat.full, .compact],
        [BreachIndex.prefixOrderMinimum, BreachIndex.prefixOrderMaximum + 1_000])
    func batchesSortedByPrefixAnswerInTheirQueriesOrder(_ format: IndexFormat, length: Int) throws {
        let directory = try TemporaryDirectory()
        let (full, compact, entries) = try CompactIndexTests.build(.sha1, in: directory)
        let index = format == .full ? full : compact
        var random = SeededRandom(seed: 12)
        let stored = entries.map(\.digest)
        let queries = (0..<length).map { at in
            at % 2 == 0 ? stored[Int(random.next() % UInt64(stored.count))] : randomDigest(.sha1, using: &random)
        }
        let counts = index.counts(of: queries)
        #expect(zip(counts, queries).filter { $0 != index.count(of: $1) }.count == 0, "counts out of place")
        #expect(counts.filter { $0 > 0 }.count >= length / 2)
    }

    /// Shorter than the pipeline's depth: every stage must still run for each query.
    @Test(arguments: [0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33])
    func batchesOfAnyLengthAreAnsweredWhole(_ length: Int) throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 4)
        try writeIndex(entries, to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        let queries = entries.prefix(length).map(\.digest)
        #expect(index.counts(of: queries) == entries.prefix(length).map(\.count))
    }
}

/// `sortedByPrefix`: a batch's queries in prefix order, each once, with its place.
@Suite struct PrefixOrderTests {
    static func sorted(_ digests: [HashDigest]) -> [PrefixOrderedQuery] {
        let scratch = UnsafeMutableBufferPointer<PrefixOrderedQuery>.allocate(capacity: 2 * digests.count)
        defer { scratch.deallocate() }
        return digests.withUnsafeBufferPointer { Array(sortedByPrefix($0, scratch: scratch)) }
    }

    @Test(arguments: [1, 2, 1_000, 16_385])
    func sortingKeepsEveryQueryOnceInPrefixOrderAndInputOrderWithinAPrefix(_ length: Int) {
        var random = SeededRandom(seed: UInt64(length))
        // Some prefixes drawn many times, so that equal prefixes are common.
        let digests = (0..<length).map { at in
            at % 3 == 0
                ? randomDigest(.sha1, prefix: Int(random.next() % 16), using: &random)
                : randomDigest(.sha1, using: &random)
        }
        let sorted = Self.sorted(digests)
        #expect(sorted.map(\.origin).sorted() == (0..<UInt32(length)).map { $0 }, "each query once")
        #expect(sorted.allSatisfy { $0.digest == digests[Int($0.origin)] })
        #expect(
            zip(sorted, sorted.dropFirst()).allSatisfy { a, b in
                a.digest.prefix < b.digest.prefix || (a.digest.prefix == b.digest.prefix && a.origin < b.origin)
            })
    }
}

/// `exportLines`: the index as the Pwned Passwords download lays it out.
@Suite struct IndexExportTests {
    @Test(arguments: HashKind.allCases)
    func exportListsEveryHashAsUppercaseCRLFLinesInOrder(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(kind, seed: 8)
        try writeIndex(entries, kind: kind, to: directory.file("index"))
        var text: [UInt8] = []
        // A small buffer: lines of one bucket and of several must join the same way.
        try BreachIndex(path: directory.file("index")).exportLines(bufferBytes: 4096) { text += $0 }
        let expected = entries.sorted { $0.digest < $1.digest }.map {
            "\(Hex.string($0.digest, kind: kind)):\($0.count)\r\n"
        }.joined()
        #expect(String(decoding: text, as: UTF8.self) == expected)
    }
}
