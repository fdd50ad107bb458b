@testable import BreachServer
import BreachHash
import BreachIndex
import NIOCore
import Testing

@Suite struct RangeCacheEvictionTests {
    func key(_ prefix: Int) -> RangeCache.Key {
        RangeCache.Key(generation: "g", kind: .sha1, prefix: prefix, coding: .identity, addPadding: false)
    }

    func answer() -> Answer {
        Answer(status: .ok, headers: [.contentType: "text/plain"], body: ByteBuffer(repeating: 0x41, count: 1000))
    }

    /// Real traffic is skewed: a prefix asked for between each of many others stays cached.
    @Test func aPopularAnswerStaysWhileTheLongTailPassesThrough() {
        let cache = RangeCache(capacity: 4500)  // room for four answers
        var popularMade = 0
        for other in 1...100 {
            _ = cache.answer(for: key(0)) { popularMade += 1; return answer() }
            _ = cache.answer(for: key(other)) { answer() }
            #expect(cache.bytes <= cache.capacity)
        }
        #expect(popularMade == 1)
    }

    /// Compressing costs milliseconds an answer: each coding's answer is kept beside the
    /// plain one, counted in the cache's bytes, and asked for again it is not compressed again.
    @Test(arguments: [ContentCoding.gzip, .br])
    func aCompressedAnswerIsCachedPerCoding(_ coding: ContentCoding) throws {
        let fixture = try ServerFixture()
        let cache = RangeCache(capacity: 1 << 20)
        func ask(_ acceptEncoding: String) -> Answer {
            RangeRoute.answer(RangeRoute.Query(prefix: "5BAA6", acceptEncoding: acceptEncoding), indexes: fixture.indexes, cache: cache)
        }
        let plain = ask("identity")
        let compressed = ask(coding.rawValue)
        #expect(compressed.headers[.contentEncoding] == coding.rawValue)
        let cached = cache.bytes
        #expect(cached >= plain.body.readableBytes + compressed.body.readableBytes)
        let again = ask(coding.rawValue)
        #expect(cache.bytes == cached)
        // The very bytes kept, not a new compression of the range.
        #expect(again.body.withUnsafeReadableBytes { $0.baseAddress } == compressed.body.withUnsafeReadableBytes { $0.baseAddress })
    }

    @Test func anAnswerLargerThanTheCacheIsServedButNotKept() {
        let cache = RangeCache(capacity: 500)
        var made = 0
        for _ in 0..<2 { _ = cache.answer(for: key(1)) { made += 1; return answer() } }
        #expect(made == 2)
        #expect(cache.bytes == 0)
    }
}

@Suite struct RangePaddingTests {
    @Test(arguments: [HashKind.sha1, .ntlm])
    func paddingSuffixesAscendAndFitTheHashKind(_ kind: HashKind) {
        let suffixes = RangePadding.suffixes(padding: 0, kind: kind)
        #expect(RangePadding.lines.contains(suffixes.count))
        #expect(zip(suffixes, suffixes.dropFirst()).allSatisfy { $0 < $1 })
        // Past the suffix's 140 (SHA-1) or 108 (NTLM) bits, every bit is zero.
        #expect(suffixes.allSatisfy { kind == .sha1 ? $0.third << 12 == 0 : $0.third == 0 && $0.second << 44 == 0 })
    }

    @Test func paddingMakesUpTheRealRowsToBetween800And1000Lines() {
        #expect(RangePadding.suffixes(padding: 1000, kind: .sha1).isEmpty)
        let suffixes = RangePadding.suffixes(padding: 700, kind: .sha1)
        #expect((100...300).contains(suffixes.count))
    }
}
