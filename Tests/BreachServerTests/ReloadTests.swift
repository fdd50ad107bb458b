import BreachIndex
import BreachIngest
import BreachServer
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@Suite struct ReloadTests {
    /// Builds a one-hash index for "password" with `count` at `path`.
    func ingestPassword(count: Int, to path: String, in directory: TemporaryDirectory) throws {
        let dump = try directory.write("dump-\(count).txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:\(count)\n")
        _ = try Ingestor(options: IngestOptions(output: path, inputs: [dump])).run()
    }

    @Test func aReplacedIndexIsServedAfterReload() async throws {
        let directory = try TemporaryDirectory()
        try ingestPassword(count: 1, to: directory.file("index"), in: directory)
        let indexes = try ServedIndexes(sha1Path: directory.file("index"), ntlmPath: nil)
        let before = indexes.snapshot
        try ingestPassword(count: 2, to: directory.file("index"), in: directory)
        try await indexes.reload()
        #expect(indexes.snapshot.sha1.count(ofPassword: "password") == 2)
        // A request that took the old snapshot still answers from it.
        #expect(before.sha1.count(ofPassword: "password") == 1)
    }

    @Test func aCorruptReplacementIsRefusedAndTheOldIndexKeepsServing() async throws {
        let directory = try TemporaryDirectory()
        try ingestPassword(count: 1, to: directory.file("index"), in: directory)
        let indexes = try ServedIndexes(sha1Path: directory.file("index"), ntlmPath: nil)
        // A damaged copy renamed over the served path.
        try ingestPassword(count: 7, to: directory.file("next"), in: directory)
        try flipBitInBucket(prefix: 0x5BAA6, of: directory.file("next"))
        #expect(rename(directory.file("next"), directory.file("index")) == 0)
        await #expect(throws: IndexError.self) { try await indexes.reload() }
        #expect(indexes.snapshot.sha1.count(ofPassword: "password") == 1)
    }

    @Test func anIndexThatIsNotAnIndexIsRefusedAtStart() throws {
        let directory = try TemporaryDirectory()
        let junk = try directory.write("junk", "not an index")
        #expect(throws: IndexError.self) { try ServedIndexes(sha1Path: junk, ntlmPath: nil) }
    }

    @Test func aLiveServerAnswersOverARealSocket() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let response = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(
                Array(response.body.readableBytesView)
                    == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
            let check = try await client.json("/v1/check", #"{"password": "password"}"#)
            #expect(String(buffer: check.body) == #"{"breached":true,"count":3861493}"#)
        }
    }
}

@Suite struct RangeCacheTests {
    @Test func aReloadedIndexIsNeverAnsweredFromTheOldCache() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(adminTokens: ["admin"]).test(.router) { client in
            let before = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(String(buffer: before.body).contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
            // A new index (one hash, a new generation) renamed over the served path.
            let dump = try fixture.directory.write("new.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:42\n")
            _ = try Ingestor(options: IngestOptions(output: fixture.directory.file("sha1.idx"), inputs: [dump])).run()
            let reload = try await client.execute(
                uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
            #expect(reload.status == .ok)
            let after = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(String(buffer: after.body) == "1E4C9B93F3F0682250B6CF8331B7EE68FD8:42")
            #expect(after.headers[.eTag] != before.headers[.eTag])
        }
    }

    @Test func aRangeThatDidNotChangeKeepsItsETagAcrossARebuild() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(adminTokens: ["admin"]).test(.router) { client in
            let before = try await client.execute(uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "br"])
            let etag = try #require(before.headers[.eTag])
            // The same range files ingested again: a new build (a new generation), the same content.
            var options = IngestOptions(
                output: fixture.directory.file("sha1.idx"), inputs: [repositoryRoot + "/data/hibp-range/sha1"])
            options.format = .rangeDirectory
            _ = try Ingestor(options: options).run()
            let reload = try await client.execute(
                uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
            #expect(reload.status == .ok)
            let after = try await client.execute(
                uri: "/range/5BAA6", method: .get, headers: [.acceptEncoding: "br", .ifNoneMatch: etag])
            #expect(after.status == .notModified)
            #expect(after.headers[.eTag] == etag)
        }
    }
}
