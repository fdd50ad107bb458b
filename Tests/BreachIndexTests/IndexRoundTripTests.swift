import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

@Suite struct IndexRoundTripTests {
    /// Random hashes spread so that buckets of every size occur, from one entry to thousands.
    /// `entries` written as an index in `directory`, and opened.
    static func index(
        of entries: [HashCount], kind: HashKind = .sha1, in directory: TemporaryDirectory, minimumCount: UInt64 = 1
    ) throws -> BreachIndex {
        try writeIndex(entries, kind: kind, to: directory.file("index"), minimumCount: minimumCount)
        return try BreachIndex(path: directory.file("index"))
    }

    static func entries(_ kind: HashKind, seed: UInt64) -> [HashCount] {
        var random = SeededRandom(seed: seed)
        var entries: [HashCount] = []
        for (prefix, size) in [
            (0x00000, 1), (0x00001, 2), (0x5BAA6, 3), (0x7FFFF, 17), (0x80000, 190), (0xABCDE, 2_500), (0xFFFFF, 64),
        ] {
            for _ in 0..<size {
                entries.append(
                    HashCount(
                        digest: randomDigest(kind, prefix: prefix, using: &random), count: randomCount(using: &random)))
            }
        }
        for _ in 0..<5_000 {
            entries.append(HashCount(digest: randomDigest(kind, using: &random), count: randomCount(using: &random)))
        }
        return entries
    }

    @Test(arguments: HashKind.allCases)
    func everyWrittenHashIsFoundWithItsExactCount(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(kind, seed: 42)
        let index = try Self.index(of: entries, kind: kind, in: directory)
        for entry in entries {
            #expect(index.count(of: entry.digest) == entry.count)
        }
    }

    @Test func absentHashesCountZero() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(.sha1, seed: 7)
        let index = try Self.index(of: entries, in: directory)
        var random = SeededRandom(seed: 99)
        for entry in entries.prefix(2_000) {
            // Same bucket and slot, last bit flipped: the nearest possible miss.
            var neighbour = entry.digest
            neighbour.low ^= 1 << 12
            if !entries.contains(where: { $0.digest == neighbour }) { #expect(index.count(of: neighbour) == 0) }
            #expect(index.count(of: randomDigest(.sha1, prefix: entry.digest.prefix, using: &random)) == 0)
        }
    }

    @Test func rangesListTheirHashesInOrder() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(.sha1, seed: 3)
        let index = try Self.index(of: entries, in: directory)
        let expected = entries.filter { $0.digest.prefix == 0xABCDE }.sorted { $0.digest < $1.digest }
        #expect(index.entries(withPrefix: 0xABCDE) == expected)
        #expect(index.entries(withPrefix: 0x12345).isEmpty)
    }

    /// The one-pass formatter (slot bits, records and escaped counts decoded straight into
    /// text) against the entries read one by one and formatted line by line.
    @Test(arguments: HashKind.allCases)
    func rangeBodiesAreTheirEntriesAsLines(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        var entries = Self.entries(kind, seed: 13)
        var random = SeededRandom(seed: 17)
        entries += (0..<300).map { _ in
            HashCount(digest: randomDigest(kind, prefix: 0x80000, using: &random), count: 1 << 40)
        }
        let index = try Self.index(of: entries, kind: kind, in: directory)
        for prefix in Set(entries.map(\.digest.prefix)) + [0x12345] {
            let lines = index.entries(withPrefix: prefix).map {
                Hex.string($0.digest, kind: kind).dropFirst(5) + ":\($0.count)"
            }
            #expect(index.rangeBody(prefix: prefix) == Array(lines.joined(separator: "\r\n").utf8))
            #expect(index.rangeBody(prefix: prefix).count < index.rangeBodyCapacity(prefix: prefix, paddingCount: 0))
        }
    }

    /// The vector hex digits and the count table against the reference text, over
    /// random buckets of many sizes (so every slot width) and counts of every length from
    /// 1 to 20 digits, `UInt64.max` included.
    @Test(arguments: HashKind.allCases)
    func randomBucketsFormatAsTheirEntries(_ kind: HashKind) throws {
        let directory = try TemporaryDirectory()
        var random = SeededRandom(seed: 31)
        var powers: [UInt64] = [1]
        for _ in 1..<20 { powers.append(powers.last! * 10) }
        var entries = [HashCount(digest: randomDigest(kind, prefix: 0xFFFFF, using: &random), count: .max)]
        for bucket in 0..<40 {
            let size = 1 + Int(random.next() % (bucket.isMultiple(of: 2) ? 40 : 4_000))
            for _ in 0..<size {
                let digits = Int(random.next() % 20)
                let upper = digits == 19 ? UInt64.max : powers[digits + 1] - 1
                let count = powers[digits] + random.next() % (upper - powers[digits] + 1)
                entries.append(
                    HashCount(digest: randomDigest(kind, prefix: bucket * 26_000, using: &random), count: count))
            }
        }
        let index = try Self.index(of: entries, kind: kind, in: directory)
        for prefix in Set(entries.map(\.digest.prefix)) {
            let lines = entries.filter { $0.digest.prefix == prefix }.sorted { $0.digest < $1.digest }
                .map { Hex.string($0.digest, kind: kind).dropFirst(5) + ":\($0.count)" }
            #expect(String(decoding: index.rangeBody(prefix: prefix), as: UTF8.self) == lines.joined(separator: "\r\n"))
        }
    }

    /// Padding rows merge into the real ones in order, with count 0; one equal to a real
    /// suffix is left out.
    @Test func paddingRowsMergeInOrder() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(.sha1, seed: 19)
        let index = try Self.index(of: entries, in: directory)
        var random = SeededRandom(seed: 23)
        let real = index.entries(withPrefix: 0x80000)
        let extra = (0..<50).map { _ in randomDigest(.sha1, prefix: 0x80000, using: &random) }
        let padding = (extra + [real[7].digest]).map { digest in
            let low = UInt64(digest.low) << 32
            return RangeSuffix(
                first: digest.high << 20 | digest.middle >> 44, second: digest.middle << 20 | low >> 44,
                third: low << 20)
        }.sorted()
        let capacity = index.rangeBodyCapacity(prefix: 0x80000, paddingCount: padding.count)
        let body = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, written in
            written = padding.withUnsafeBufferPointer {
                index.writeRangeBody(prefix: 0x80000, padding: $0, to: UnsafeMutableRawBufferPointer(buffer))
            }
        }
        let merged = (real + extra.map { HashCount(digest: $0, count: 0) }).sorted { $0.digest < $1.digest }
        let expected = merged.map { Hex.string($0.digest, kind: .sha1).dropFirst(5) + ":\($0.count)" }.joined(
            separator: "\r\n")
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func countsAreNeverCapped() throws {
        let directory = try TemporaryDirectory()
        var random = SeededRandom(seed: 5)
        let counts: [UInt64] = [1, 2, 255, 256, 65_535, 65_536, 52_372_427, 4_294_967_296, UInt64.max / 2]
        let entries = counts.map { HashCount(digest: randomDigest(.sha1, prefix: 0x5BAA6, using: &random), count: $0) }
        let index = try Self.index(of: entries, in: directory)
        for entry in entries { #expect(index.count(of: entry.digest) == entry.count) }
    }

    @Test func aBucketOfMoreThan65536HashesRoundTrips() throws {
        let directory = try TemporaryDirectory()
        var random = SeededRandom(seed: 11)
        let entries = (0..<70_000).map { i in
            HashCount(digest: randomDigest(.sha1, prefix: 0x00042, using: &random), count: i % 1000 == 0 ? 1 << 40 : 1)
        }
        let index = try Self.index(of: entries, in: directory)
        for entry in entries { #expect(index.count(of: entry.digest) == entry.count) }
        #expect(index.verify().isIntact)
    }

    @Test func metadataRecordsTotals() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(.sha1, seed: 8)
        try writeIndex(entries, to: directory.file("index"))
        let metadata = try BreachIndex(path: directory.file("index")).metadata
        #expect(metadata.hashCount == UInt64(entries.count))
        #expect(metadata.countSum == entries.reduce(0) { $0 &+ $1.count })
        #expect(metadata.bucketCount == Set(entries.map(\.digest.prefix)).count)
        #expect(metadata.formatVersion == IndexFormat.full.formatVersion)
        #expect(metadata.hashKind == .sha1)
    }

    @Test func theFileSizeReflectsItsContentNotTheMapSize() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(Self.entries(.sha1, seed: 1), to: directory.file("index"))
        let size = try #require(
            try FileManager.default.attributesOfItem(atPath: directory.file("index"))[.size] as? Int)
        // 7,774 hashes: a few hundred KiB, nowhere near the writer's 4 TiB map.
        #expect(size < 1 << 20)
    }

    @Test func theWriterRefusesHashesOutOfOrder() throws {
        let directory = try TemporaryDirectory()
        let writer = try IndexWriter(path: directory.file("index"), kind: .sha1)
        var random = SeededRandom(seed: 2)
        let a = randomDigest(.sha1, prefix: 2, using: &random), b = randomDigest(.sha1, prefix: 1, using: &random)
        try writer.append(HashCount(digest: a, count: 1))
        #expect(throws: IndexError.self) { try writer.append(HashCount(digest: b, count: 1)) }
        #expect(throws: IndexError.self) { try writer.append(HashCount(digest: a, count: 1)) }
    }

    @Test func theWriterLeavesOutHashesUnderTheMinimumCount() throws {
        let directory = try TemporaryDirectory()
        let entries = Self.entries(.sha1, seed: 4)
        let index = try Self.index(of: entries, in: directory, minimumCount: 10)
        for entry in entries { #expect(index.count(of: entry.digest) == (entry.count >= 10 ? entry.count : 0)) }
        #expect(index.metadata.minimumCount == 10)
    }

    @Test func passwordLookupsHashWithTheIndexKind() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(
            [HashCount(digest: PasswordHasher.hash("password", kind: .ntlm), count: 9_659_365)], kind: .ntlm,
            to: directory.file("ntlm"))
        let index = try BreachIndex(path: directory.file("ntlm"))
        #expect(index.count(ofPassword: "password") == 9_659_365)
        #expect(index.count(ofPassword: "Password") == 0)
    }
}
