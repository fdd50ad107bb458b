import BreachHash
import BreachIndex
import TestSupport
import Testing

/// The content tag (a range's ETag), computed once a prefix and then kept.
@Suite struct ContentTagTests {
    static let prefixes = [0x00000, 0x00001, 0x5BAA6, 0x7FFFF, 0x80000, 0xABCDE, 0xFFFFF, 0x12345]

    @Test func aTagReadAgainIsTheOneAnotherBuildOfTheSameHashesComputes() throws {
        let entries = IndexRoundTripTests.entries(.sha1, seed: 7)
        let (first, second) = (try TemporaryDirectory(), try TemporaryDirectory())
        let index = try IndexRoundTripTests.index(of: entries, in: first)
        let rebuilt = try IndexRoundTripTests.index(of: entries, in: second)
        let computed = Self.prefixes.map { index.contentTag(forPrefix: $0) }
        #expect(Self.prefixes.map { index.contentTag(forPrefix: $0) } == computed)
        #expect(Self.prefixes.map { rebuilt.contentTag(forPrefix: $0) } == computed)
        #expect(Set(computed).count == Self.prefixes.count, "each range's bytes differ, and so do their tags")
    }

    @Test func aChangedCountChangesTheTagOfItsRangeOnly() throws {
        var entries = IndexRoundTripTests.entries(.sha1, seed: 7)
        let index = try IndexRoundTripTests.index(of: entries, in: try TemporaryDirectory())
        let before = Self.prefixes.map { index.contentTag(forPrefix: $0) }
        let changed = try #require(entries.firstIndex { $0.digest.prefix == 0xABCDE })
        entries[changed].count += 1
        let after = try IndexRoundTripTests.index(of: entries, in: try TemporaryDirectory())
        for (prefix, tag) in zip(Self.prefixes, before) {
            #expect((after.contentTag(forPrefix: prefix) != tag) == (prefix == 0xABCDE), "prefix \(prefix)")
        }
    }
}
