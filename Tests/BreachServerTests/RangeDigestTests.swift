import BreachHash
import BreachServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Finding 2: every range answer carries RFC 9530's `Repr-Digest` of its uncompressed body,
/// whatever the coding, so a downloader can tell a body changed on the way.
@Suite struct RangeDigestTests {
    static let reprDigest = HTTPField.Name("Repr-Digest")!

    @Test(arguments: AnsweredBy.allCases, ["identity", "gzip", "br"])
    func theDigestIsOfTheUncompressedBodyInEveryCoding(_ answeredBy: AnsweredBy, _ coding: String) async throws {
        let fixture = try ServerFixture()
        let expected = try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt").withUnsafeBytes { RepresentationDigest.field(of: $0) }
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: coding])
            #expect(response.headers[.contentEncoding] == (coding == "identity" ? nil : coding))
            #expect(response.headers[Self.reprDigest] == expected)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func aPaddedAnswersDigestIsOfItsOwnRows(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.init("Add-Padding")!: "true"])
            let body = Array(response.body.readableBytesView)
            #expect(response.headers[Self.reprDigest] == body.withUnsafeBytes { RepresentationDigest.field(of: $0) })
        }
    }
}
