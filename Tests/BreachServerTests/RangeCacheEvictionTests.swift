import BreachHash
import BreachIndex
import BreachIngest
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import BreachServer

@Suite struct RangeCacheEvictionTests {
    func key(_ prefix: Int) -> RangeCache.Key {
        RangeCache.Key(generation: "g", kind: .sha1, prefix: prefix, coding: .identity)
    }

    /// `answer` with a head of its own, as a digest field gives it.
    func digested(_ answer: Answer) -> Answer {
        Answer(status: answer.status, headers: [.contentType: "text/plain; digested"], bodyParts: answer.bodyParts)
    }

    func answer() -> Answer {
        Answer(status: .ok, headers: [.contentType: "text/plain"], body: ByteBuffer(repeating: 0x41, count: 1000))
    }

    /// Real traffic is skewed: a prefix asked for between each of many others stays cached.
    @Test func aPopularAnswerStaysWhileTheLongTailPassesThrough() {
        let cache = RangeCache(capacity: 4500)  // room for four answers
        var popularMade = 0
        for other in 1...100 {
            _ = cache.answer(for: key(0)) {
                popularMade += 1
                return answer()
            }
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
            RangeRoute.answer(
                RangeRoute.Query(prefix: "5BAA6", acceptEncoding: acceptEncoding), indexes: fixture.indexes,
                cache: cache)
        }
        let plain = ask("identity")
        let compressed = ask(coding.rawValue)
        #expect(compressed.headers[.contentEncoding] == coding.rawValue)
        let cached = cache.bytes
        #expect(cached >= plain.body.readableBytes + compressed.body.readableBytes)
        let again = ask(coding.rawValue)
        #expect(cache.bytes == cached)
        // The very bytes kept, not a new compression of the range.
        #expect(
            again.bodyParts[0].withUnsafeReadableBytes { $0.baseAddress }
                == compressed.bodyParts[0].withUnsafeReadableBytes { $0.baseAddress })
    }

    /// NIO gives a buffer a power of two of storage: a 76 KB answer held 128 KB, so a cache
    /// held little more than half the answers its bytes could. Kept in parts, it holds them.
    @Test func aCacheHoldsAsManyAnswersAsTheirBytesAllow() {
        let cache = RangeCache(capacity: 1_000_000)
        func large() -> Answer {
            var body = ByteBufferAllocator().buffer(capacity: 100_000)  // as the route sizes a body
            body.writeRepeatingByte(0x41, count: 76_000)
            return Answer(status: .ok, headers: [.contentType: "text/plain"], body: body)
        }
        for prefix in 0..<12 { _ = cache.answer(for: key(prefix)) { large() } }
        var madeAgain = 0
        for prefix in 0..<12 {
            let again = cache.answer(for: key(prefix)) {
                madeAgain += 1
                return large()
            }
            #expect(again.body == large().body)
        }
        #expect(madeAgain == 0)
        #expect(cache.bytes <= cache.capacity)
    }

    /// A cached answer is kept in parts: asked for again, each path sends it whole, as made.
    @Test(arguments: AnsweredBy.allCases, ["identity", "gzip", "br"])
    func anAnswerKeptInPartsIsSentWhole(_ answeredBy: AnsweredBy, _ coding: String) async throws {
        let fixture = try ServerFixture()
        let cache = RangeCache(capacity: 1 << 20)
        // The answer as made, in one buffer (a cache of no bytes keeps nothing).
        let made = RangeRoute.answer(
            RangeRoute.Query(prefix: "5BAA6", acceptEncoding: coding), indexes: fixture.indexes,
            cache: RangeCache(capacity: 0)
        ).body
        #expect(made.readableBytes > 4096)
        try await fixture.application(rangeCache: cache).test(answeredBy.setup) { client in
            for _ in 0..<2 {
                let sent = try await client.execute(
                    uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: coding])
                #expect(sent.body == made)
                #expect(sent.headers[.contentLength] == String(made.readableBytes))
            }
        }
        let key = RangeCache.Key(
            generation: fixture.indexes.snapshot.sha1.metadata.generation, kind: .sha1, prefix: 0x5BAA6,
            coding: ContentCoding(rawValue: coding)!)
        #expect(cache.answer(for: key) { Answer(status: .ok, headers: [:], body: ByteBuffer()) }.bodyParts.count > 1)
    }

    /// A replica's refresh asks for the digest of each range it fetches: the digested answer
    /// is made once, kept beside the answer it digests, and holds only a head more.
    @Test func aDigestedAnswerIsMadeOnceAndKeptBesideItsAnswer() {
        let cache = RangeCache(capacity: 1 << 20)
        var digests = 0
        func digesting(_ answer: Answer) -> Answer {
            digests += 1
            return digested(answer)
        }
        _ = cache.answer(for: key(1)) { answer() }
        let plainBytes = cache.bytes
        let digestedAnswer = cache.answer(for: key(1), digesting: digesting) { answer() }
        let again = cache.answer(for: key(1), digesting: digesting) { answer() }
        #expect(digests == 1)
        #expect(again.headers == digestedAnswer.headers)
        #expect(cache.bytes == plainBytes + digestedAnswer.encodedHead.capacity)
        #expect(cache.answer(for: key(1)) { answer() }.headers[.contentType] == "text/plain")
    }

    /// Two requests of one key made at once each make an answer; the one cached second is
    /// dropped, and its digest must not be kept beside the other's body (a body held twice,
    /// counted once).
    @Test func aDigestOfAnAnswerNotTheCachedOneIsNotKept() {
        let cache = RangeCache(capacity: 1 << 20)
        // While this request makes its answer, another caches its own.
        _ = cache.answer(for: key(1), digesting: digested) {
            _ = cache.answer(for: key(1)) { answer() }
            return answer()
        }
        let cachedBytes = cache.bytes
        #expect(cachedBytes == RangeCache.size(of: cache.answer(for: key(1)) { answer() }))
        // Asked for again, the digest is made from the cached answer and kept.
        let kept = cache.answer(for: key(1), digesting: digested) { answer() }
        #expect(cache.bytes == cachedBytes + kept.encodedHead.capacity)
    }

    /// A full cache whose answers were all asked for again lately: the digest's head takes
    /// the place of another answer asked for less often, not of the answer it digests.
    @Test func aFullCacheMakesRoomForADigestBesideItsAnswer() {
        let measuring = RangeCache(capacity: 1 << 20)
        for prefix in 0..<4 { _ = measuring.answer(for: key(prefix)) { answer() } }
        let cache = RangeCache(capacity: measuring.bytes + 10)  // four answers, no head more
        for _ in 0..<2 {
            for prefix in 0..<4 { _ = cache.answer(for: key(prefix)) { answer() } }
        }
        let first = cache.answer(for: key(0), digesting: digested) { answer() }
        let again = cache.answer(for: key(0), digesting: digested) { answer() }
        #expect(
            again.encodedHead.withUnsafeReadableBytes { $0.baseAddress }
                == first.encodedHead.withUnsafeReadableBytes { $0.baseAddress })
        #expect(cache.bytes <= cache.capacity)
        var madeAgain = false
        _ = cache.answer(for: key(0)) {
            madeAgain = true
            return answer()
        }
        #expect(!madeAgain)
    }

    @Test func aDigestedAnswerLeavesNoBytesBehindWhenRemoved() {
        let cache = RangeCache(capacity: 1 << 20)
        _ = cache.answer(for: key(1), digesting: digested) { answer() }
        // A reload (another generation) removes the old generation's answers.
        let next = RangeCache.Key(generation: "h", kind: .sha1, prefix: 2, coding: .identity)
        _ = cache.answer(for: next) { answer() }
        let alone = RangeCache(capacity: 1 << 20)
        _ = alone.answer(for: next) { answer() }
        #expect(cache.bytes == alone.bytes)
    }

    @Test func aRangeAskedForWithItsDigestIsDigestedOnce() throws {
        let fixture = try ServerFixture()
        let cache = RangeCache(capacity: 1 << 20)
        func ask(wantReprDigest: String?) -> Answer {
            RangeRoute.answer(
                RangeRoute.Query(prefix: "5BAA6", acceptEncoding: "gzip", wantReprDigest: wantReprDigest),
                indexes: fixture.indexes, cache: cache)
        }
        let plain = ask(wantReprDigest: nil)
        let digested = ask(wantReprDigest: "sha-256=1")
        let again = ask(wantReprDigest: "sha-256=5")
        #expect(plain.headers[.reprDigest] == nil)
        #expect(digested.headers[.reprDigest] != nil)
        // The head kept, not made again.
        #expect(
            again.encodedHead.withUnsafeReadableBytes { $0.baseAddress }
                == digested.encodedHead.withUnsafeReadableBytes { $0.baseAddress })
        #expect(
            digested.bodyParts[0].withUnsafeReadableBytes { $0.baseAddress }
                == plain.bodyParts[0].withUnsafeReadableBytes { $0.baseAddress })
    }

    /// Admission (TinyLFU): prefixes asked for once each, however many, do not push out
    /// those asked for often.
    @Test func uniformTrafficDoesNotEvictTheHotHead() {
        let cache = RangeCache(capacity: 4500)  // room for four answers
        for _ in 0..<5 {
            for hot in 0..<4 { _ = cache.answer(for: key(hot)) { answer() } }
        }
        for cold in 100..<1100 { _ = cache.answer(for: key(cold)) { answer() } }
        var made = 0
        for hot in 0..<4 {
            _ = cache.answer(for: key(hot)) {
                made += 1
                return answer()
            }
        }
        #expect(made == 0)
    }

    /// After a reload the old index's popular answers make way at once: the new index's
    /// answers are cached on first use, not refused admission against the old ones' counts.
    @Test func aReloadDropsThePreviousGenerationsAnswers() {
        let cache = RangeCache(capacity: 4500)  // room for four answers
        for _ in 0..<5 {
            for hot in 0..<4 { _ = cache.answer(for: key(hot)) { answer() } }
        }
        let fourAnswers = cache.bytes
        var made = 0
        let reloaded = RangeCache.Key(generation: "h", kind: .sha1, prefix: 0, coding: .identity)
        for _ in 0..<3 {
            _ = cache.answer(for: reloaded) {
                made += 1
                return answer()
            }
        }
        #expect(made == 1)
        #expect(cache.bytes == fourAnswers / 4)
    }

    /// A request still answering from the replaced index is served uncached: it does not
    /// purge the new index's answers.
    @Test func aRequestOnTheReplacedIndexLeavesTheNewAnswersCached() {
        let cache = RangeCache(capacity: 4500)
        func generation(_ name: String, _ prefix: Int) -> RangeCache.Key {
            RangeCache.Key(generation: name, kind: .sha1, prefix: prefix, coding: .identity)
        }
        _ = cache.answer(for: generation("old", 0)) { answer() }
        _ = cache.answer(for: generation("new", 1)) { answer() }
        var made = 0
        _ = cache.answer(for: generation("old", 2)) {
            made += 1
            return answer()
        }
        _ = cache.answer(for: generation("new", 1)) {
            made += 1
            return answer()
        }
        #expect(made == 1)
    }

    /// A newcomer asked for more often than the victim takes its place.
    @Test func anAnswerAskedForOftenIsAdmittedWhenFull() {
        let cache = RangeCache(capacity: 4500)
        for cold in 0..<4 { _ = cache.answer(for: key(cold)) { answer() } }
        var made = 0
        for _ in 0..<4 {
            _ = cache.answer(for: key(99)) {
                made += 1
                return answer()
            }
        }
        #expect(made < 4)
    }

    /// A cached body is held in a buffer sized for it (NIO rounds storage up to a power of
    /// two), not in the one it was written in, and counted as held.
    @Test func aCachedBodyHoldsNoUnusedCapacity() {
        let cache = RangeCache(capacity: 1 << 20)
        var body = ByteBufferAllocator().buffer(capacity: 4000)
        body.writeRepeatingByte(0x41, count: 1000)
        let kept = cache.answer(for: key(1)) { Answer(status: .ok, headers: [:], body: body) }
        let again = cache.answer(for: key(1)) {
            Issue.record("made again")
            return kept
        }
        #expect(again.body.capacity < 2 * 1000)
        #expect(cache.bytes == again.body.capacity + again.encodedHead.capacity)
    }

    /// Padding leaves a range of 1,000 rows or more as it is: asked for with and without it,
    /// the answer is the same bytes, cached once, with one strong tag.
    @Test func aLargeRangeIsCachedOnceWhetherPaddingIsAskedForOrNot() throws {
        let directory = try TemporaryDirectory()
        let ranges = directory.file("ranges")
        try FileManager.default.createDirectory(atPath: ranges, withIntermediateDirectories: true)
        var random = SystemRandomNumberGenerator()
        let suffixes = (0..<1200).map { _ in
            String((0..<35).map { _ in "0123456789ABCDEF".randomElement(using: &random)! })
        }
        try Set(suffixes).sorted().map { "\($0):7\r\n" }.joined().write(
            toFile: ranges + "/ABCDE.txt", atomically: true, encoding: .utf8)
        var options = IngestOptions(output: directory.file("sha1.idx"), inputs: [ranges])
        options.format = .rangeDirectory
        _ = try Ingestor(options: options).run()
        let indexes = try ServedIndexes(sha1Path: directory.file("sha1.idx"), ntlmPath: nil)
        let cache = RangeCache(capacity: 1 << 20)
        let plain = RangeRoute.answer(RangeRoute.Query(prefix: "ABCDE"), indexes: indexes, cache: cache)
        let cached = cache.bytes
        let padded = RangeRoute.answer(
            RangeRoute.Query(prefix: "ABCDE", addPadding: "true"), indexes: indexes, cache: cache)
        #expect(cache.bytes == cached)
        #expect(padded.body == plain.body)
        #expect(padded.headers[.eTag] == plain.headers[.eTag])
        #expect(plain.headers[.eTag]?.hasPrefix("W/") == false)
    }

    @Test func anAnswerLargerThanTheCacheIsServedButNotKept() {
        let cache = RangeCache(capacity: 500)
        var made = 0
        for _ in 0..<2 {
            _ = cache.answer(for: key(1)) {
                made += 1
                return answer()
            }
        }
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
