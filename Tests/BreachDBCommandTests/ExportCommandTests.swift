import Foundation
import TestSupport
import Testing

@Suite struct ExportCommandTests {
    /// `stats --json`'s content digest: equal exactly when two indexes' buckets are.
    static func contentDigest(_ index: String) throws -> String? {
        let result = try breachdb(["stats", "--index", index, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any]
        return (json?["metadata"] as? [String: Any])?["contentDigest"] as? String
    }

    @Test(arguments: ["sha1", "ntlm"])
    func ingestExportIngestRoundTripsByteForByte(_ kind: String) throws {
        let directory = try TemporaryDirectory()
        let first = try breachdb([
            "ingest", "--quiet", "--hash", kind, "-o", directory.file("first"),
            repositoryRoot + "/data/hibp-range/\(kind)",
        ])
        #expect(first.status == 0, "\(first.errorText)")
        let exported = try breachdb([
            "export", "--index", directory.file("first"), "--output", directory.file("first.txt"),
        ])
        #expect(exported.status == 0, "\(exported.errorText)")
        let second = try breachdb([
            "ingest", "--quiet", "--hash", kind, "-o", directory.file("second"), directory.file("first.txt"),
        ])
        #expect(second.status == 0, "\(second.errorText)")
        let again = try breachdb(["export", "--index", directory.file("second")])
        #expect(again.output == (try fileBytes(directory.file("first.txt"))))
        #expect(try Self.contentDigest(directory.file("first")) == (try Self.contentDigest(directory.file("second"))))
        #expect(again.outputText.hasSuffix("\r\n") && !again.outputText.contains(where: \.isLowercase))
    }

    @Test func aRangeDirectoryExportHoldsTheRangeBodiesAndIngestsBack() throws {
        let directory = try TemporaryDirectory()
        let source = repositoryRoot + "/data/hibp-range/sha1"
        #expect(try breachdb(["ingest", "--quiet", "-o", directory.file("first"), source]).status == 0)
        let exported = try breachdb([
            "export", "--index", directory.file("first"), "--format", "range-dir", "-o", directory.file("ranges"),
        ])
        #expect(exported.status == 0, "\(exported.errorText)")
        #expect(try fileBytes(directory.file("ranges/5BAA6.txt")) == (try rangeResponseBody(source + "/5BAA6.txt")))
        #expect(
            try breachdb(["ingest", "--quiet", "-o", directory.file("second"), directory.file("ranges")]).status == 0)
        #expect(try Self.contentDigest(directory.file("first")) == (try Self.contentDigest(directory.file("second"))))
    }

    @Test func exportRefusesACompactIndex() throws {
        let directory = try TemporaryDirectory()
        #expect(
            try breachdb([
                "ingest", "--quiet", "--compact", "-o", directory.file("compact"),
                repositoryRoot + "/data/hibp-range/sha1",
            ]).status == 0)
        let result = try breachdb([
            "export", "--index", directory.file("compact"), "--output", directory.file("out.txt"),
        ])
        #expect(result.status != 0)
        #expect(
            result.errorText.contains(
                "a compact index keeps only the first 64 bits of each hash, so it cannot be exported"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("out.txt")))
    }

    @Test func compactWritesACheckOnlyIndexThatStatsDescribes() throws {
        let directory = try TemporaryDirectory()
        #expect(
            try breachdb(["ingest", "--quiet", "-o", directory.file("full"), repositoryRoot + "/data/hibp-range/sha1"])
                .status == 0)
        let compact = try breachdb([
            "compact", "--index", directory.file("full"), "--output", directory.file("compact"),
        ])
        #expect(compact.status == 0, "\(compact.errorText)")
        let stats = try breachdb(["stats", "--index", directory.file("compact")])
        #expect(stats.outputText.contains("format:         version 5, sha1, compact (64 bits of each hash kept)"))
        #expect(stats.outputText.contains("false positives: 3.1e-17 per query of a hash not in the index (n / 2^64)"))
        let check = try breachdb(["check", "--index", directory.file("compact"), "password"])
        #expect(check.outputText == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n")
        let range = try breachdb(["range", "--index", directory.file("compact"), "5BAA6"])
        #expect(range.status != 0)
        #expect(range.errorText.contains("cannot answer range queries"))
    }
}
