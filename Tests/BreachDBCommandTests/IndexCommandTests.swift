import Foundation
import TestSupport
import Testing

@Suite struct IndexCommandTests {
    @Test func rangePrintsTheRealResponseByteForByte() throws {
        let directory = try TemporaryDirectory()
        let build = try breachdb([
            "ingest", "--quiet", "-o", directory.file("index"), repositoryRoot + "/data/hibp-range/sha1",
        ])
        #expect(build.status == 0, "\(build.errorText)")
        let result = try breachdb(["range", "--index", directory.file("index"), "5baa6"])
        #expect(result.status == 0)
        #expect(result.output == (try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")))
    }

    @Test func rangeRefusesAPrefixThatIsNotFiveHexDigits() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        for bad in ["5BAA", "5BAA6F", "GBAA6"] {
            let result = try breachdb(["range", "--index", index, bad])
            #expect(result.status != 0)
            #expect(result.errorText.contains("5 hex digits"))
        }
    }

    @Test func statsReportsTheMetadataAsJSON() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(["stats", "--index", index, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any])
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect(metadata["hashCount"] as? Int == 2)
        #expect(metadata["countSum"] as? Int == 41_220_688)
        #expect(metadata["hashKind"] as? String == "sha1")
        #expect((json["fileBytes"] as? Int ?? 0) > 0)
    }

    @Test func verifyPassesAnIntactIndexAndFailsADamagedCopy() throws {
        let directory = try TemporaryDirectory()
        let build = try breachdb([
            "ingest", "--quiet", "-o", directory.file("index"), repositoryRoot + "/data/hibp-range/sha1",
        ])
        #expect(build.status == 0)
        #expect(try breachdb(["verify", "--index", directory.file("index")]).status == 0)

        try FileManager.default.copyItem(atPath: directory.file("index"), toPath: directory.file("damaged"))
        try flipBitInBucket(prefix: 0x5BAA6, of: directory.file("damaged"))
        let verify = try breachdb(["verify", "--index", directory.file("damaged")])
        #expect(verify.status != 0)
        #expect(verify.outputText.contains("checksum mismatch"))
    }
}
