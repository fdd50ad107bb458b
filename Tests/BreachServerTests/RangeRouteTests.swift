import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct RangeRouteTests {
    @Test func servesTheRealSHA1ResponseByteForByte() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/5baa6", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain")
            #expect(Array(response.body.readableBytesView) == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
        }
    }

    @Test func servesTheRealNTLMResponseInNTLMMode() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/8846F?mode=ntlm", method: .get)
            #expect(Array(response.body.readableBytesView) == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/ntlm/8846F.txt")))
        }
    }

    @Test func ntlmModeWithoutAnNTLMIndexIsABadRequest() async throws {
        let fixture = try ServerFixture(ntlm: false)
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/8846F?mode=ntlm", method: .get)
            #expect(response.status == .badRequest)
        }
    }

    @Test(arguments: ["5BAA", "5BAA61", "GBAA6", "5BAA%20"])
    func aBadPrefixIsABadRequestWithAReason(_ prefix: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/\(prefix)", method: .get)
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body) == "The hash prefix was not in a valid format")
        }
    }

    @Test func addPaddingPadsWithCountZeroRowsToBetween800And1000Lines() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let first = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.init("Add-Padding")!: "TRUE"])
            let second = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.init("Add-Padding")!: "true"])
            let rows = lines(first)
            #expect((800...1000).contains(rows.count))
            // Every real row is still there; the rest are count-0 rows; all sorted.
            let real = Set(String(decoding: try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt"), as: UTF8.self).split(separator: "\r\n"))
            #expect(real.isSubset(of: Set(rows)))
            #expect(rows.filter { !real.contains($0) }.allSatisfy { $0.hasSuffix(":0") && $0.count == 37 })
            #expect(rows == rows.sorted())
            // Fresh padding per request.
            #expect(first.body != second.body)
        }
    }

    @Test func anEmptyRangeIsPaddedEvenWithoutTheHeader() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/00000", method: .get)
            #expect(response.status == .ok)
            let rows = lines(response)
            #expect((800...1000).contains(rows.count))
            #expect(rows.allSatisfy { $0.hasSuffix(":0") })
        }
    }

    @Test func aMatchingETagAnswers304() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            let etag = try #require(response.headers[.eTag])
            #expect(etag.contains(fixture.indexes.snapshot.sha1.metadata.generation))
            #expect(response.headers[.lastModified] != nil)
            #expect(response.headers[.cacheControl]?.contains("max-age") == true)
            let again = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let other = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.ifNoneMatch: "\"stale\""])
            #expect(other.status == .ok)
        }
    }

    @Test func gzipIsUsedWhenTheClientAcceptsIt() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "gzip, deflate"])
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
    }

    @Test func corsAllowsAnyOriginAndTheAddPaddingHeader() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            let preflight = try await client.execute(uri: "/range/5BAA6", method: .options)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Add-Padding") == true)
        }
    }
}
