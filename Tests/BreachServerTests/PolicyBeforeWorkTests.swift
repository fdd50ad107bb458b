import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BreachServer

/// The request policy is applied, and a revalidation answered, before a range answer is
/// made: a refused request or a 304 leaves the answer cache as it found it. Through a live
/// server, on the hot path and on the router.
@Suite struct PolicyBeforeWorkTests {
    @Test(arguments: AnsweredBy.allCases)
    func aRateLimitedRangeRequestMakesNoAnswer(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        let cache = RangeCache(capacity: 1 << 20)
        // One request a minute: `/v1/index` takes it, so the range request is refused.
        try await fixture.application(requestsPerSecond: 1.0 / 60, rangeCache: cache).test(.live) { client in
            #expect(try await client.execute(uri: "/v1/index", method: .get).status == .ok)
            let head = try await answeredBy.answerHead(
                to: "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n",
                from: client)
            #expect(head.hasPrefix("HTTP/1.1 429"))
            #expect(cache.bytes == 0)
        }
    }

    @Test(arguments: AnsweredBy.allCases, ["gzip", "br", "identity"])
    func aRevalidationIsAnsweredWithoutMakingTheAnswer(_ answeredBy: AnsweredBy, _ coding: String) async throws {
        let fixture = try ServerFixture()
        // The tag as another node (or an earlier run) served it.
        let served = try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: coding])
        }
        let etag = try #require(served.headers[.eTag])
        let cache = RangeCache(capacity: 1 << 20)
        try await fixture.application(rangeCache: cache).test(.live) { client in
            let head = try await answeredBy.answerHead(
                to:
                    "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: \(coding)\r\nIf-None-Match: \(etag)\r\nConnection: close\r\n\r\n",
                from: client)
            #expect(head.hasPrefix("HTTP/1.1 304"))
            #expect(head.contains("ETag: \(etag)"))
            #expect(cache.bytes == 0)
        }
    }

    /// If-None-Match compares weakly (RFC 9110 §13.1.2): any tag of a list, `W/` or not.
    @Test func entityTagsMatchByWeakComparisonAnywhereInTheList() {
        #expect(EntityTags.anyMatches(#""a", W/"5BAA6-sha1-1f""#, #""5BAA6-sha1-1f""#))
        #expect(EntityTags.anyMatches(#""5BAA6-sha1-1f""#, #"W/"5BAA6-sha1-1f""#))
        #expect(EntityTags.anyMatches("*", #""x""#))
        #expect(!EntityTags.anyMatches(#""5BAA6-sha1-1f-br1""#, #""5BAA6-sha1-1f""#))
        #expect(!EntityTags.anyMatches("5BAA6-sha1-1f", #""5BAA6-sha1-1f""#))
    }
}
