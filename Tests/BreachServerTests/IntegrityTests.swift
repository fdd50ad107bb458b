import BreachIndex
import BreachIngest
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import BreachServer

/// Start-up answers at once and verifies the checksums in the background; a damaged
/// chunk is reported on /readyz and /metrics; a reload swaps in only verified files.
@Suite struct IntegrityTests {
    /// Waits (up to a minute) until the background verification has finished.
    func settled(_ integrity: IndexIntegrity) async throws -> IndexIntegrity.Status {
        for _ in 0..<3000 {
            if case .verifying = integrity.status { try await Task.sleep(for: .milliseconds(20)) } else { break }
        }
        return integrity.status
    }

    /// The value of the checksum-chunks gauge of `path` in `state`.
    func chunks(_ metrics: String, path: String, state: String) -> Double? {
        metrics.split(separator: "\n")
            .first {
                $0.hasPrefix("breachdb_index_checksum_chunks{") && $0.contains("path=\"\(path)\"")
                    && $0.contains("state=\"\(state)\"")
            }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    @Test func serveAnswersBeforeTheChecksumsAreVerified() async throws {
        // A second a chunk: the verification takes minutes, the test a fraction of a second.
        let fixture = try ServerFixture(ntlm: false, verificationPause: .seconds(1))
        try await fixture.application().test(.router) { client in
            let range = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(range.status == .ok)
            #expect(String(buffer: range.body).contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body).hasPrefix("ready; checksums being verified\nsha1 index "))
        }
        guard case .verifying(let checked) = fixture.indexes.snapshot.integrity[0].status else {
            Issue.record("the verification finished before the answers")
            return
        }
        #expect(checked < BreachIndex.checksumChunkCount)
    }

    @Test func readyzSaysReadyOnceEveryChecksumIsVerified() async throws {
        let fixture = try ServerFixture()
        for integrity in fixture.indexes.snapshot.integrity { #expect(try await settled(integrity) == .intact) }
        try await fixture.application().test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body) == "ready\n")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(chunks(metrics, path: fixture.directory.file("sha1.idx"), state: "verified") == 256)
            #expect(chunks(metrics, path: fixture.directory.file("sha1.idx"), state: "damaged") == 0)
        }
    }

    @Test func aDamagedChunkIsFoundInTheBackgroundAndReportedWhileTheNodeKeepsAnswering() async throws {
        let fixture = try ServerFixture { try flipBitInBucket(prefix: 0x5BAA6, of: $0.file("sha1.idx")) }
        let status = try await settled(fixture.indexes.snapshot.integrity[0])
        #expect(status == .damaged(problems: ["checksum mismatch in the buckets of prefixes 5B000–5BFFF"]))
        try await fixture.application().test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(
                String(buffer: ready.body) == """
                    not ready: damaged index
                    sha1 index \(fixture.directory.file("sha1.idx")): checksum mismatch in the buckets of prefixes 5B000–5BFFF

                    """)
            // Damaged from the first bad chunk on, the index is still verified to its end:
            // the counts below are final once no chunk is left unchecked.
            var metrics = ""
            for _ in 0..<3000 {
                metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                if chunks(metrics, path: fixture.directory.file("sha1.idx"), state: "unchecked") == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(chunks(metrics, path: fixture.directory.file("sha1.idx"), state: "damaged") == 1)
            #expect(chunks(metrics, path: fixture.directory.file("sha1.idx"), state: "verified") == 255)
            #expect(chunks(metrics, path: fixture.directory.file("ntlm.idx"), state: "damaged") == 0)
            // The balancer drains the node; whoever still asks is answered.
            #expect(try await client.execute(uri: "/range/00000", method: .get).status == .ok)
        }
    }

    @Test func aDamagedReplacementIsRefusedAtReloadAndTheNodeStaysReady() async throws {
        let fixture = try ServerFixture(ntlm: false)
        let dump = try fixture.directory.write("new.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:42\n")
        _ = try Ingestor(options: IngestOptions(output: fixture.directory.file("next.idx"), inputs: [dump])).run()
        try flipBitInBucket(prefix: 0x5BAA6, of: fixture.directory.file("next.idx"))
        #expect(rename(fixture.directory.file("next.idx"), fixture.directory.file("sha1.idx")) == 0)
        try await fixture.application(adminTokens: ["admin"]).test(.router) { client in
            let reload = try await client.execute(
                uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
            #expect(reload.status == .unprocessableContent)
            #expect(String(buffer: reload.body).contains("checksum mismatch in the buckets of prefixes 5B000–5BFFF"))
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let range = try await client.execute(uri: "/range/5BAA6", method: .get)
            #expect(String(buffer: range.body).contains("1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493"))
        }
    }

    @Test func aVerifiedReplacementMakesADamagedNodeReadyAgain() async throws {
        let fixture = try ServerFixture(ntlm: false) { try flipBitInBucket(prefix: 0x5BAA6, of: $0.file("sha1.idx")) }
        #expect(try await settled(fixture.indexes.snapshot.integrity[0]) != .intact)
        let dump = try fixture.directory.write("new.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:42\n")
        _ = try Ingestor(options: IngestOptions(output: fixture.directory.file("sha1.idx"), inputs: [dump])).run()
        try await fixture.application(adminTokens: ["admin"]).test(.router) { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)
            let reload = try await client.execute(
                uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin"])
            #expect(reload.status == .ok)
            // Swapped in only once verified: ready at once.
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body) == "ready\n")
        }
    }

    /// The gauges of `path` as the registry holds them now.
    func gauges(_ path: String) -> (verified: Double?, unchecked: Double?) {
        let metrics = String(decoding: ServerMetrics.registry.emitToBuffer(), as: UTF8.self)
        return (chunks(metrics, path: path, state: "verified"), chunks(metrics, path: path, state: "unchecked"))
    }

    /// What a reload overtaken by a later one did: the generation it swapped in, already
    /// replaced and stopped, published its progress over the served one's.
    @Test func aGenerationNoLongerServedPublishesNothing() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("dump.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n")
        let path = directory.file("sha1.idx")
        _ = try Ingestor(options: IngestOptions(output: path, inputs: [dump])).run()
        let replaced = IndexIntegrity(index: try BreachIndex(path: path))
        let served = IndexIntegrity(index: try BreachIndex(path: path))
        replaced.stop()
        served.verify()
        served.publish()
        replaced.publish()
        #expect(!replaced.verify())
        #expect(gauges(path) == (256, 0))
    }

    /// Reloads that overlap while the first generation is still being verified leave the
    /// gauges and /readyz with the generation served.
    @Test func overlappingReloadsLeaveTheGaugesWithTheServedGeneration() async throws {
        let fixture = try ServerFixture(ntlm: false, verificationPause: .milliseconds(20))
        try await withThrowingTaskGroup { group in
            for _ in 0..<4 { group.addTask { try await fixture.indexes.reload() } }
            try await group.waitForAll()
        }
        #expect(gauges(fixture.directory.file("sha1.idx")) == (256, 0))
        #expect(Readiness(fixture.indexes.snapshot).text == "ready\n")
    }
}
