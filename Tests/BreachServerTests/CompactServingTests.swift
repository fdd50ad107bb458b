import BreachIndex
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import BreachServer

/// A daemon serving a compact SHA-1 index: checks as before, no ranges, and it says so.
@Suite struct CompactServingTests {
    static func fixture() throws -> ServerFixture {
        try ServerFixture { directory in
            _ = try BreachIndex(path: directory.file("sha1.idx")).writeCompact(to: directory.file("sha1.idx"))
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func rangeOnACompactIndexIsAClearError(_ answeredBy: AnsweredBy) async throws {
        try await Self.fixture().application().test(answeredBy.setup) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(response.status == .notImplemented)
            #expect(String(buffer: response.body).contains("sha1 index is compact"))
            // The NTLM index beside it is full and still answers ranges.
            #expect(try await client.execute(uri: "/range/5BAA6?mode=ntlm", method: .get).status == .ok)
        }
    }

    @Test(arguments: AnsweredBy.allCases)
    func checksOnACompactIndexAnswerAsOnTheFullOne(_ answeredBy: AnsweredBy) async throws {
        try await Self.fixture().application().test(answeredBy.setup) { client in
            let single = try await client.json("/v1/check", #"{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}"#)
            #expect(String(buffer: single.body) == #"{"breached":true,"count":3861493}"#)
            let batch = try await client.json(
                "/v1/check/batch",
                #"{"sha1": ["5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "0000000000000000000000000000000000000000"]}"#)
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(batch.body.readableBytesView)) as? [String: Any])
            #expect((body["results"] as? [[String: Any]])?.map { $0["count"] as? Int } == [3_861_493, 0])
        }
    }

    @Test func indexDescriptionAndReadinessNameTheFormat() async throws {
        let fixture = try Self.fixture()
        try await fixture.application().test(.router) { client in
            let index = try await client.execute(uri: "/v1/index", method: .get)
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(index.body.readableBytesView)) as? [String: Any])
            #expect(body["formats"] as? [String: String] == ["sha1": "compact", "ntlm": "full"])
        }
        let readiness = Readiness(fixture.indexes.snapshot).text
        #expect(readiness.contains("sha1 compact index \(fixture.directory.file("sha1.idx")): checks only, no /range"))
    }
}
