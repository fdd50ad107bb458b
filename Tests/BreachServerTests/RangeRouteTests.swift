import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@Suite struct RangeRouteTests {
    @Test(arguments: AnsweredBy.allCases)
    func servesTheRealSHA1ResponseByteForByte(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get("/range/5baa6")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/plain")
        #expect(
            Array(response.body.readableBytesView)
                == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
    }

    @Test(arguments: AnsweredBy.allCases)
    func servesTheRealNTLMResponseInNTLMMode(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get("/range/8846F?mode=ntlm")
        #expect(
            Array(response.body.readableBytesView)
                == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/ntlm/8846F.txt")))
    }

    @Test(arguments: AnsweredBy.allCases)
    func ntlmModeWithoutAnNTLMIndexIsABadRequest(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture(ntlm: false)
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/8846F?mode=ntlm", method: .get)
            #expect(response.status == .badRequest)
        }
    }

    @Test(arguments: AnsweredBy.allCases, ["5BAA", "5BAA61", "GBAA6", "5BAA%20"])
    func aBadPrefixIsABadRequestWithAReason(_ answeredBy: AnsweredBy, _ prefix: String) async throws {
        let response = try await answeredBy.get("/range/\(prefix)")
        #expect(response.status == .badRequest)
        #expect(String(buffer: response.body) == "The hash prefix was not in a valid format")
    }

    @Test(arguments: AnsweredBy.allCases)
    func addPaddingPadsWithCountZeroRowsToBetween800And1000Lines(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let first = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.init("Add-Padding")!: "TRUE"])
            let second = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.init("Add-Padding")!: "true"])
            let rows = lines(first)
            #expect((800...1000).contains(rows.count))
            // Every real row is still there; the rest are count-0 rows; all sorted.
            let real = Set(
                String(
                    decoding: try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt"), as: UTF8.self
                ).split(separator: "\r\n"))
            #expect(real.isSubset(of: Set(rows)))
            #expect(rows.filter { !real.contains($0) }.allSatisfy { $0.hasSuffix(":0") && $0.count == 37 })
            #expect(rows == rows.sorted())
            // Fresh padding per request.
            #expect(first.body != second.body)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func anEmptyRangeIsPaddedEvenWithoutTheHeader(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/00000", method: .get)
            #expect(response.status == .ok)
            let rows = lines(response)
            #expect((800...1000).contains(rows.count))
            #expect(rows.allSatisfy { $0.hasSuffix(":0") })
            // Unasked, that padding is made once and served alike (from the answer cache).
            let again = try await client.execute(uri: "/range/00000", method: .get)
            #expect(again.body == response.body)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func aMatchingETagAnswers304(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            let etag = try #require(response.headers[.eTag])
            #expect(response.headers[.lastModified] != nil)
            #expect(response.headers[.cacheControl]?.contains("max-age") == true)
            let again = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let other = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.ifNoneMatch: "\"stale\""])
            #expect(other.status == .ok)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func gzipIsUsedWhenTheClientAcceptsIt(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get("/range/5BAA6", headers: [.acceptEncoding: "gzip, deflate"])
        #expect(response.headers[.contentEncoding] == "gzip")
        let directory = try TemporaryDirectory()
        let compressed = try directory.write("body.gz", Array(response.body.readableBytesView))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", compressed]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let plain = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(Array(plain) == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
    }

    /// gzip on a tie: as small as brotli at the quality a per-request answer affords, and cheaper.
    @Test(arguments: AnsweredBy.allCases)
    func gzipIsPreferredOnATieAndBrotliWhenRatedHigher(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let plain = try await client.execute(uri: "/range/5BAA6", method: .get)
            let tie = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            let brotli = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "gzip;q=0.8, br"])
            #expect(tie.headers[.contentEncoding] == "gzip")
            #expect(brotli.headers[.contentEncoding] == "br")
            #expect(brotli.body.readableBytes < plain.body.readableBytes * 6 / 10)
            // Each coding is its own representation, with its own tag.
            #expect(Set([plain, tie, brotli].map { $0.headers[.eTag] }).count == 3)
            #expect(plain.headers[.contentEncoding] == nil)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func corsAllowsAnyOriginAndTheAddPaddingAndWantReprDigestHeaders(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            let preflight = try await client.execute(uri: "/range/5BAA6", method: .options)
            let allowed = preflight.headers[.accessControlAllowHeaders]?.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            #expect(allowed == ["Add-Padding", "Want-Repr-Digest"])
        }
    }
}
