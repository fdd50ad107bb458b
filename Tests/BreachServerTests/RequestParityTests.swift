import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// One request policy on both paths: the same header semantics, through a live server, on
/// the hot path and on the router.
@Suite struct RequestParityTests {
    /// A repeated field is one list (RFC 9110 §5.3): `gzip;q=0.5` and `br` on two lines is
    /// `gzip;q=0.5, br`, which rates brotli higher.
    @Test(arguments: AnsweredBy.allCases)
    func repeatedAcceptEncodingLinesAreOneList(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let head = try await answeredBy.answerHead(
                to:
                    "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0.5\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n",
                from: client)
            #expect(head.hasPrefix("HTTP/1.1 200"))
            #expect(head.contains("Content-Encoding: br\r\n"))
        }
    }

    /// Two `Authorization` lines are no credential, even when each holds the token.
    @Test(arguments: AnsweredBy.allCases)
    func twoAuthorizationLinesAreRefused(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        let check = #"{"password": "password"}"#
        try await fixture.application(apiTokens: ["token"]).test(.live) { client in
            let head = try await answeredBy.answerHead(
                to:
                    "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nAuthorization: Bearer token\r\n"
                    + "Authorization: Bearer token\r\nContent-Length: \(check.utf8.count)\r\nConnection: close\r\n\r\n\(check)",
                from: client)
            #expect(head.hasPrefix("HTTP/1.1 401"))
        }
    }

    /// The policy before the route, as the router applies it: a check without the token is
    /// refused whatever its body, a bad hash or no JSON at all.
    @Test(arguments: AnsweredBy.allCases, [#"{"sha1": "not a hash"}"#, "not JSON"])
    func aCheckWithoutTheTokenIsRefusedWhateverItsBody(_ answeredBy: AnsweredBy, _ body: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["token"]).test(.live) { client in
            let head = try await answeredBy.answerHead(
                to: "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                from: client)
            #expect(head.hasPrefix("HTTP/1.1 401"))
        }
    }

    /// A refusal is the same answer on either path, byte for byte but its date: the rate
    /// limit's 429 (made from its seconds on the hot path) and the token check's 401 (made once).
    @Test(
        arguments: [
            (1.0 / 60, nil, "GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
            (
                nil, ["token"],
                "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            ),
        ] as [(Double?, [String]?, String)])
    func aRefusalIsTheSameAnswerOnBothPaths(_ rate: Double?, _ tokens: [String]?, _ request: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: tokens, requestsPerSecond: rate).test(.live) { client in
            let port = try #require(client.port)
            if rate != nil { _ = try await exchange(request, port: port) }  // the one request the limit lets through
            var answers: [String] = []
            for answeredBy in AnsweredBy.allCases {
                let response = try await exchange(answeredBy.raw(request), port: port)
                let last = "HTTP/1." + (response.components(separatedBy: "HTTP/1.").last ?? "")
                // Its date, and the seconds still to wait, change between the two requests.
                answers.append(
                    last.replacing(/Date: [^\r]*\r\n/, with: "").replacing(
                        /Retry-After: [1-9][0-9]*\r\n/, with: "Retry-After: N\r\n"))
            }
            #expect(answers[0].hasPrefix(rate != nil ? "HTTP/1.1 429" : "HTTP/1.1 401"))
            #expect(answers[0].contains("Retry-After: N\r\n") == (rate != nil))
            #expect(answers[0] == answers[1])
        }
    }

    /// `Connection` tokens are case-insensitive (RFC 9110 §7.6.1).
    @Test(arguments: AnsweredBy.allCases)
    func connectionCloseInAnyCaseClosesTheConnection(_ answeredBy: AnsweredBy) async throws {
        let (response, closed) = try await ServerFixture.exchange(
            answeredBy.raw("GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n"),
            closedWithin: .seconds(10))
        #expect(closed)
        let head = try #require(answerHeads(response).last)
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.contains("Connection: close\r\n") || head.hasSuffix("Connection: close"))
    }

    /// An HTTP/1.0 request without `keep-alive` is answered in HTTP/1.0 and its connection closed.
    @Test(arguments: AnsweredBy.allCases)
    func anHTTP1_0RequestIsAnsweredInHTTP1_0AndClosed(_ answeredBy: AnsweredBy) async throws {
        let (response, closed) = try await ServerFixture.exchange(
            answeredBy.raw("GET /range/5BAA6 HTTP/1.0\r\n\r\n"), closedWithin: .seconds(10))
        #expect(closed)
        #expect(answerHeads(response).last?.hasPrefix("HTTP/1.0 200") == true)
    }
}
