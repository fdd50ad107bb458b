import BreachServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import BreachDownload

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

    /// A brotli answer, coded straight from the rows, decodes to the plain answer: SHA-1 and
    /// NTLM, unpadded; and padded, to a padded range that holds every real row.
    @Test(arguments: AnsweredBy.allCases)
    func brotliAnswersDecodeToThePlainAnswer(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            for uri in ["/range/5BAA6", "/range/8846F?mode=ntlm"] {
                let plain = try await client.execute(uri: uri, method: .get)
                let brotli = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "br"])
                #expect(brotli.headers[.contentEncoding] == "br")
                let decoded = try ContentDecoding.decode(
                    Array(brotli.body.readableBytesView), coding: "br", limit: 1 << 20)
                #expect(decoded == Array(plain.body.readableBytesView), "\(uri)")
                let padded = try await client.execute(
                    uri: uri, method: .get, headers: [.acceptEncoding: "br", HTTPField.Name("Add-Padding")!: "true"])
                let paddedLines = String(
                    decoding: try ContentDecoding.decode(
                        Array(padded.body.readableBytesView), coding: "br", limit: 1 << 20), as: UTF8.self
                ).split(separator: "\r\n")
                #expect(paddedLines.count >= 800, "\(uri)")
                // The real rows, in order, among the padding rows (count 0).
                let realLines = String(buffer: plain.body).split(separator: "\r\n")
                #expect(paddedLines.filter { !$0.hasSuffix(":0") } == realLines, "\(uri)")
            }
        }
    }

    /// The gzip bytes of the sample ranges are those the text writer made before answers were
    /// coded from the rows (the SHA-256 of 08732c8's answers): a strong `-gzip-r1` tag
    /// promises the same bytes from every node and version that sends it.
    @Test(arguments: AnsweredBy.allCases)
    func gzipAnswersKeepTheBytesTheirTagNames(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            for (uri, digest) in [
                ("/range/5BAA6", "sha-256=:dtdvT/2SarHiw1OOqv9NB9DHFaaIRdw5yUQFlj43PAo=:"),
                ("/range/8846F?mode=ntlm", "sha-256=:eEVOBpnRjKR4FsHqJ/6ODUqP71wnwtpviOwN5dbF+d4=:"),
            ] {
                let response = try await client.execute(
                    uri: uri, method: .get,
                    headers: [.acceptEncoding: "gzip", HTTPField.Name("Want-Repr-Digest")!: "sha-256=1"])
                #expect(response.headers[.eTag]?.hasSuffix("-gzip-r1\"") == true, "\(uri)")
                #expect(response.headers[HTTPField.Name("Repr-Digest")!] == digest, "\(uri)")
            }
        }
    }

    /// Brotli on a tie (smaller than gzip and cheaper to make); gzip when rated higher.
    @Test(arguments: AnsweredBy.allCases)
    func brotliIsPreferredOnATieAndGzipWhenRatedHigher(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let plain = try await client.execute(uri: "/range/5BAA6", method: .get)
            let tie = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            let gzip = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "gzip, br;q=0.8"])
            #expect(tie.headers[.contentEncoding] == "br")
            #expect(gzip.headers[.contentEncoding] == "gzip")
            #expect(tie.body.readableBytes < gzip.body.readableBytes)
            #expect(gzip.body.readableBytes < plain.body.readableBytes * 6 / 10)
            // Each coding is its own representation, with its own tag.
            #expect(Set([plain, tie, gzip].map { $0.headers[.eTag] }).count == 3)
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
