import BreachHash
import BreachServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Finding 2: a range answer carries RFC 9530's `Repr-Digest` of its body as sent, whatever
/// the coding, when the request asks for it (`Want-Repr-Digest`, as `breachdb download`
/// does), so a downloader can tell a body changed on the way; unasked, none is made.
@Suite struct RangeDigestTests {
    static let reprDigest = HTTPField.Name("Repr-Digest")!
    static let wantReprDigest = HTTPField.Name("Want-Repr-Digest")!

    @Test(arguments: AnsweredBy.allCases, ["identity", "gzip", "br"])
    func theDigestIsOfTheBodyAsSentInEveryCoding(_ answeredBy: AnsweredBy, _ coding: String) async throws {
        let response = try await answeredBy.get(
            "/range/5BAA6", headers: [.acceptEncoding: coding, Self.wantReprDigest: "sha-256=1"])
        #expect(response.headers[.contentEncoding] == (coding == "identity" ? nil : coding))
        // RFC 9530: the representation's bytes, content coding applied.
        let sent = Array(response.body.readableBytesView)
        #expect(response.headers[Self.reprDigest] == sent.withUnsafeBytes { RepresentationDigest.field(of: $0) })
    }

    /// A page's script on another origin may read the digest (CORS exposes it); answers
    /// without one list nothing to expose.
    @Test(arguments: AnsweredBy.allCases)
    func theDigestIsExposedToScriptsOfOtherOrigins(_ answeredBy: AnsweredBy) async throws {
        let digested = try await answeredBy.get("/range/5BAA6", headers: [Self.wantReprDigest: "sha-256=1"])
        #expect(digested.headers[.accessControlExposeHeaders] == "Repr-Digest")
        let plain = try await answeredBy.get("/range/5BAA6", headers: [:])
        #expect(plain.headers[.accessControlExposeHeaders] == nil)
    }

    @Test(arguments: AnsweredBy.allCases)
    func aPaddedAnswersDigestIsOfItsOwnRows(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get(
            "/range/5BAA6", headers: [.init("Add-Padding")!: "true", Self.wantReprDigest: "sha-256=1"])
        let body = Array(response.body.readableBytesView)
        #expect(response.headers[Self.reprDigest] == body.withUnsafeBytes { RepresentationDigest.field(of: $0) })
    }

    /// The answer is cached without a digest: a request that asks gets one all the same, and
    /// one that does not ask, after it, gets none.
    @Test(arguments: AnsweredBy.allCases)
    func aCachedAnswerIsDigestedForTheRequestThatAsks(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let unasked = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(unasked.headers[Self.reprDigest] == nil)
            let asked = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [Self.wantReprDigest: "sha-512=3, sha-256=1"])
            let body = Array(asked.body.readableBytesView)
            #expect(asked.headers[Self.reprDigest] == body.withUnsafeBytes { RepresentationDigest.field(of: $0) })
            let unaskedAgain = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(unaskedAgain.headers[Self.reprDigest] == nil)
            #expect(unaskedAgain.headers[.vary]?.contains("Want-Repr-Digest") == true)
        }
    }

    /// RFC 9530 §4: preference 0 says the algorithm is not acceptable.
    @Test(arguments: AnsweredBy.allCases)
    func aDigestWantedAtPreferenceZeroIsNotSent(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.get("/range/5BAA6", headers: [Self.wantReprDigest: "sha-256=0"])
        #expect(response.status == .ok)
        #expect(response.headers[Self.reprDigest] == nil)
    }
}
