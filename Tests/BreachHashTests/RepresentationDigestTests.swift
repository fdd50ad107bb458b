import BreachHash
import Testing

/// RFC 9530's `Repr-Digest` with sha-256, as the daemon sends and the downloader checks it.
@Suite struct RepresentationDigestTests {
    @Test func theFieldIsRFC9530sExample() {
        // RFC 9530 §B.1: the representation `{"hello": "world"}`.
        let field = Array(#"{"hello": "world"}"#.utf8).withUnsafeBytes { RepresentationDigest.field(of: $0) }
        #expect(field == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
    }

    @Test func theSHA256IsReadFromAFieldAmongOtherAlgorithms() {
        let expected = Array(#"{"hello": "world"}"#.utf8).withUnsafeBytes(RepresentationDigest.sha256)
        #expect(
            RepresentationDigest.expectation(
                inField: "unixsum=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:") == .sha256(expected))
    }

    /// One dictionary reading for both fields: parameters ignored, the last of a repeated key counts.
    @Test func aRepeatedSHA256MemberCountsItsLastValueWithoutParameters() {
        let expected = Array(#"{"hello": "world"}"#.utf8).withUnsafeBytes(RepresentationDigest.sha256)
        #expect(
            RepresentationDigest.expectation(
                inField: "sha-256=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;note=x")
                == .sha256(expected))
    }

    @Test func aFieldWithoutSHA256PromisesNothing() {
        #expect(RepresentationDigest.expectation(inField: nil) == .none)
        #expect(RepresentationDigest.expectation(inField: "sha-512=:AAAA:") == .none)
    }

    @Test(arguments: [
        "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "sha-256=:AAAA:", "sha-256=:not base64!:",
    ])
    func aMalformedSHA256IsMalformed(_ field: String) {
        #expect(RepresentationDigest.expectation(inField: field) == .malformed)
    }

    @Test(arguments: ["sha-256=1", "sha-512=3, sha-256=10", "sha-256=2;note=x", "sha-256=0, sha-256=1", "sha-256=1, ;"])
    func aWantFieldNamingSHA256AboveZeroAsksForIt(_ field: String) {
        #expect(RepresentationDigest.isWanted(byField: field))
    }

    @Test(arguments: [
        nil, "", "sha-256=0", "sha-512=1", "sha-256=11", "sha-256=yes", "sha-256=1, sha-256=0", ";", "sha-256=+1", "=",
        ",;,",
    ])
    func aWantFieldWithoutAnAcceptableSHA256AsksForNone(_ field: String?) {
        #expect(!RepresentationDigest.isWanted(byField: field))
    }

    @Test func theDownloadersWantFieldAsksForSHA256() {
        #expect(RepresentationDigest.isWanted(byField: RepresentationDigest.wantField))
    }
}
