import BreachHash
import BreachServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Finding 2: every range answer carries RFC 9530's `Repr-Digest` of its body as sent,
/// whatever the coding, so a downloader can tell a body changed on the way.
@Suite struct RangeDigestTests {
    static let reprDigest = HTTPField.Name("Repr-Digest")!

    @Test(arguments: AnsweredBy.allCases, ["identity", "gzip", "br"])
    func theDigestIsOfTheBodyAsSentInEveryCoding(_ answeredBy: AnsweredBy, _ coding: String) async throws {
        let response = try await answeredBy.get("/range/5BAA6", headers: [.acceptEncoding: coding])
        #expect(response.headers[.contentEncoding] == (coding == "identity" ? nil : coding))
        // RFC 9530: the representation's bytes, content coding applied.
        let sent = Array(response.body.readableBytesView)
        #expect(response.headers[Self.reprDigest] == sent.withUnsafeBytes { RepresentationDigest.field(of: $0) })
    }

    @Test(arguments: AnsweredBy.allCases)
    func aPaddedAnswersDigestIsOfItsOwnRows(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get("/range/5BAA6", headers: [.init("Add-Padding")!: "true"])
        let body = Array(response.body.readableBytesView)
        #expect(response.headers[Self.reprDigest] == body.withUnsafeBytes { RepresentationDigest.field(of: $0) })
    }
}
