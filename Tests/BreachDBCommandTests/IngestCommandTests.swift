import Foundation
import TestSupport
import Testing

@Suite struct IngestCommandTests {
    @Test func aMalformedLineExitsNonZeroNamingFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let before = try fileBytes(index)
        let bad = try directory.write("bad.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\nxyz:2\n")
        let result = try breachdb(["ingest", "--quiet", "-o", index, bad])
        #expect(result.status != 0)
        #expect(result.errorText.contains("\(bad):2: expected 40 hex digits before ':'"))
        #expect(try fileBytes(index) == before)
    }

    @Test func readsStandardInput() throws {
        let directory = try TemporaryDirectory()
        let result = try breachdb(
            ["ingest", "--quiet", "-o", directory.file("index"), "-"],
            input: Array("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:7\n".utf8))
        #expect(result.status == 0, "\(result.errorText)")
        #expect(try breachdb(["check", "--index", directory.file("index"), "password"]).outputText.hasSuffix(":7\n"))
    }

    @Test func printsASummary() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write(
            "d.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:7\n5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n")
        let result = try breachdb(["ingest", "-o", directory.file("index"), dump])
        #expect(result.errorText.contains("1 sha1 hashes"))
        #expect(result.errorText.contains("duplicates merged: 1"))
        #expect(result.errorText.contains("bytes/hash"))
    }

    @Test func sigkillDuringAnIngestLeavesTheOldIndexUsable() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let before = try fileBytes(index)

        // An ingest fed from a pipe we keep open: it is mid-way when killed.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: breachdbExecutable)
        process.arguments = ["ingest", "--quiet", "-o", index, "--format", "sha1", "-"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        var random = SeededRandom(seed: 1)
        var chunk = ""
        for _ in 0..<50_000 {
            chunk += String(
                format: "%016llX%016llX%08X\n", random.next(), random.next(), UInt32(truncatingIfNeeded: random.next()))
        }
        input.fileHandleForWriting.write(Data(chunk.utf8))
        let temporary = directory.file(".index.building.\(process.processIdentifier)")
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: temporary) { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: temporary))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try fileBytes(index) == before)
        #expect(try breachdb(["verify", "--index", index]).status == 0)
        #expect(
            try breachdb(["check", "--index", index, "password"]).outputText
                == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n")

        // The next ingest cleans up what the killed one left.
        let next = try breachdb([
            "ingest", "--quiet", "-o", index,
            try directory.write("one.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n"),
        ])
        #expect(next.status == 0)
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.hasPrefix(".") })
    }
}
