import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@Suite struct CheckRoutesTests {
    @Test(arguments: AnsweredBy.allCases)
    func aBreachedPasswordReportsItsCount(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post("/v1/check", #"{"password": "password"}"#)
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == #"{"breached":true,"count":3861493}"#)
    }

    @Test(arguments: AnsweredBy.allCases)
    func anUnknownHashIsNotBreached(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post("/v1/check", #"{"sha1": "0000000000000000000000000000000000000000"}"#)
        #expect(String(buffer: response.body) == #"{"breached":false,"count":0}"#)
    }

    @Test(arguments: AnsweredBy.allCases)
    func ntlmHashesAreCheckedAgainstTheNTLMIndex(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post("/v1/check", #"{"ntlm": "8846f7eaee8fb117ad06bdd830b7586c"}"#)
        #expect(String(buffer: response.body) == #"{"breached":true,"count":9659365}"#)
    }

    @Test(arguments: AnsweredBy.allCases)
    func aBadHashIsAClearJSONError(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post("/v1/check", #"{"sha1": "xyz"}"#)
        #expect(response.status == .badRequest)
        let body =
            try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
            as? [String: [String: String]]
        #expect(body?["error"]?["code"] == "invalid_sha1")
    }

    @Test(arguments: AnsweredBy.allCases)
    func malformedJSONIsRefusedWithoutEchoingIt(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post("/v1/check", #"{"password": "hunter2"#)
        #expect(response.status == .badRequest)
        #expect(!String(buffer: response.body).contains("hunter2"))
    }

    @Test(arguments: AnsweredBy.allCases)
    func aBodyThatIsNotJSONIs415(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post(
            "/v1/check", "password=x", contentType: "application/x-www-form-urlencoded")
        #expect(response.status == .unsupportedMediaType)
    }

    @Test(arguments: AnsweredBy.allCases)
    func anOversizedBodyIs413(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post(
            "/v1/check", #"{"password": "\#(String(repeating: "a", count: 100_000))"}"#)
        #expect(response.status == .contentTooLarge)
    }

    @Test(arguments: AnsweredBy.allCases)
    func plaintextCanBeSwitchedOff(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(allowPlaintext: false).test(answeredBy.setup) { client in
            let refused = try await client.json("/v1/check", #"{"password": "password"}"#)
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("plaintext_disabled"))
            let hashed = try await client.json("/v1/check", #"{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}"#)
            #expect(hashed.status == .ok)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func batchesAnswerEachHashInOrder(_ answeredBy: AnsweredBy) async throws {
        let response = try await answeredBy.post(
            "/v1/check/batch",
            #"{"sha1": ["5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "0000000000000000000000000000000000000000"]}"#)
        let body = try #require(
            try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                as? [String: [[String: Any]]])
        let results = try #require(body["results"])
        #expect(
            results.map { $0["hash"] as? String } == [
                "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "0000000000000000000000000000000000000000",
            ])
        #expect(results.map { $0["count"] as? Int } == [3_861_493, 0])
        #expect(results.map { $0["breached"] as? Bool } == [true, false])
    }

    @Test(arguments: AnsweredBy.allCases)
    func aBatchOfMoreThan1000HashesIs413(_ answeredBy: AnsweredBy) async throws {
        let hashes = Array(repeating: "\"0000000000000000000000000000000000000000\"", count: 1_001).joined(
            separator: ",")
        let response = try await answeredBy.post("/v1/check/batch", #"{"sha1": [\#(hashes)]}"#)
        #expect(response.status == .contentTooLarge)
    }

    @Test(arguments: AnsweredBy.allCases)
    func indexMetadataAndHealthAreServed(_ answeredBy: AnsweredBy) async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(answeredBy.setup) { client in
            let index = try await client.execute(uri: "/v1/index", method: .get)
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(index.body.readableBytesView)) as? [String: Any])
            #expect((body["sha1"] as? [String: Any])?["hashCount"] as? Int == 574)
            #expect((body["ntlm"] as? [String: Any])?["hashKind"] as? String == "ntlm")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
        }
    }
}
