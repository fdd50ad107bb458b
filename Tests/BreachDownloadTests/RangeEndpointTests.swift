import Foundation
import Testing

@testable import BreachDownload

/// Finding 8: what `--from` holds besides a host is used, not dropped or mangled.
@Suite struct RangeEndpointTests {
    @Test func aQueryTokenIsKeptAfterTheRangePath() throws {
        let endpoint = try RangeEndpoint(source: "https://gateway.example/hibp/?token=a%2Bb", kind: .sha1)
        #expect(endpoint.url(forPrefix: 0x5BAA6) == "https://gateway.example/hibp/range/5BAA6?token=a%2Bb")
    }

    @Test func ntlmModeIsAddedToTheQuery() throws {
        #expect(
            try RangeEndpoint(source: "http://primary:8080?token=x", kind: .ntlm).url(forPrefix: 0x8846F)
                == "http://primary:8080/range/8846F?token=x&mode=ntlm")
        #expect(
            try RangeEndpoint(source: "http://primary:8080/", kind: .ntlm).url(forPrefix: 0x8846F)
                == "http://primary:8080/range/8846F?mode=ntlm")
    }

    @Test func aUserAndPasswordBecomeBasicAuthorizationAndLeaveTheURL() throws {
        let endpoint = try RangeEndpoint(source: "https://replica:s3cr%40t@primary.example", kind: .sha1)
        #expect(endpoint.authorization == "Basic " + Data("replica:s3cr@t".utf8).base64EncodedString())
        #expect(endpoint.url(forPrefix: 0) == "https://primary.example/range/00000")
    }

    @Test(arguments: ["ftp://primary/", "primary:8080", "http:///range"])
    func aSourceThatIsNotAnHTTPURLIsRefused(_ source: String) {
        #expect(throws: DownloadError.self) { try RangeEndpoint(source: source, kind: .sha1) }
    }
}
