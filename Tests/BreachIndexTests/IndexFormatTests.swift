import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

@Suite struct IndexFormatTests {
    /// Poisson bucket sizes of mean `perPrefix` over the first `prefixCount` prefixes,
    /// with heavy-tailed counts, as `generate-dump` writes them.
    static func entries(perPrefix: Double, prefixCount: Int, seed: UInt64) -> [HashCount] {
        var random = SeededRandom(seed: seed)
        var entries: [HashCount] = []
        for prefix in 0..<prefixCount {
            let digests = (0..<random.poisson(mean: perPrefix)).map { _ in random.digest(.sha1, prefix: prefix) }
            for digest in Set(digests).sorted() {
                entries.append(HashCount(digest: digest, count: random.paretoCount()))
            }
        }
        return entries
    }

    @Test func hashesOnEitherSideOfABlockBoundaryAreFound() throws {
        // One chunk of 4,096 prefixes holding ≈1.5 MB of buckets: more than one block.
        let directory = try TemporaryDirectory()
        let entries = Self.entries(perPrefix: 20, prefixCount: 4_096, seed: 12)
        try writeIndex(entries, to: directory.file("index"))
        let index = try BreachIndex(path: directory.file("index"))
        for entry in entries { #expect(index.count(of: entry.digest) == entry.count) }
        let byPrefix = Dictionary(grouping: entries, by: \.digest.prefix)
        for prefix in 0..<4_096 { #expect(index.entries(withPrefix: prefix) == byPrefix[prefix] ?? []) }
        let verification = index.verify()
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.bucketsChecked == Set(entries.map(\.digest.prefix)).count)
    }

    @Test func anIndexAt19HashesAPrefixTakesAtMost18Point5BytesAHash() throws {
        // Two chunks at the density of a 20M-hash index; the fixed cost of the file
        // (LMDB's meta pages, metadata, checksums: ≈20 KB) is included.
        let directory = try TemporaryDirectory()
        let entries = Self.entries(perPrefix: 19, prefixCount: 8_192, seed: 13)
        try writeIndex(entries, to: directory.file("index"))
        let size = try #require(
            try FileManager.default.attributesOfItem(atPath: directory.file("index"))[.size] as? Int)
        #expect(Double(size) / Double(entries.count) <= 18.5)
    }

    @Test func anIndexOfFormatVersion1IsRefusedWithAnAdviceToRebuild() throws {
        let directory = try TemporaryDirectory()
        try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 1), to: directory.file("index"))
        var bytes = try fileBytes(directory.file("index"))
        let current = Array("\"formatVersion\":\(IndexFormat.full.formatVersion),".utf8)
        let older = Array("\"formatVersion\":1,".utf8)
        let at = try #require(
            (0...(bytes.count - current.count)).first { bytes[$0..<($0 + current.count)].elementsEqual(current) })
        bytes.replaceSubrange(at..<(at + current.count), with: older)
        try directory.write("index", bytes)
        #expect { try BreachIndex(path: directory.file("index")) } throws: { error in
            "\(error)".contains("format version 1") && "\(error)".contains("rebuild")
        }
    }

    @Test func aDamagedBlockIsReportedNotRead() throws {
        let directory = try TemporaryDirectory()
        // 64 prefixes of 3 hashes: one block, its buckets' lengths one byte each.
        var random = SeededRandom(seed: 14)
        let entries = (0..<64).flatMap { prefix in
            (0..<3).map { _ in HashCount(digest: random.digest(.sha1, prefix: prefix), count: 1) }.sorted {
                $0.digest < $1.digest
            }
        }
        try writeIndex(entries, to: directory.file("index"))
        // The block's first byte is its prefix count: 64 becomes 192.
        var bytes = try fileBytes(directory.file("index"))
        let block = try BreachIndex(path: directory.file("index")).storedBucket(prefix: 0)
        let bucketsStart = try #require(
            (0...(bytes.count - block.count)).first { bytes[$0..<($0 + block.count)].elementsEqual(block) })
        let header = bucketsStart - 3 - 64
        #expect(bytes[header] == 64)
        bytes[header] ^= 0x80
        try directory.write("index", bytes)
        #expect { try BreachIndex(path: directory.file("index")) } throws: { error in
            "\(error)".contains("damaged") && "\(error)".contains("block of prefix 00000")
        }
    }
}
