import BreachHash
import BreachIndex
import BreachIngest
import Foundation
import TestSupport
import Testing

@Suite struct IngestBadInputTests {
    /// Builds a good index, then ingests `bad` over it: the error must match and the
    /// good index stay byte for byte, with no temporary file left beside it.
    func expectRefused(
        _ bad: [UInt8], named name: String = "dump.txt", format: InputFormat = .auto,
        message: String
    ) throws {
        let directory = try TemporaryDirectory()
        let good = try directory.write("good.txt", "\(passwordSHA1):1\n")
        _ = try ingest([good], in: directory)
        let before = try fileBytes(directory.file("index"))
        let input = try directory.write(name, bad)
        #expect { _ = try ingest([input], in: directory) { $0.format = format } } throws: { error in
            let text = "\(error)"
            #expect(text == message.replacingOccurrences(of: "FILE", with: input))
            return true
        }
        #expect(try fileBytes(directory.file("index")) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
                == [name, "good.txt", "index"].sorted())
    }

    @Test func aShortHashNamesTheFileAndLine() throws {
        let lines = Array(repeating: "\(passwordSHA1):1", count: 999) + ["5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD:1"]
        try expectRefused(
            Array(lines.joined(separator: "\n").utf8), message: "FILE:1000: expected 40 hex digits before ':'")
    }

    @Test func aNonHexDigitIsRefused() throws {
        try expectRefused(
            Array("\(passwordSHA1):1\nZBAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:2\n".utf8),
            message: "FILE:2: expected 40 hex digits before ':'")
    }

    @Test func aMissingCountIsRefused() throws {
        try expectRefused(
            Array("\(passwordSHA1):\n".utf8), format: .hibp, message: "FILE:1: expected a decimal count after ':'")
    }

    @Test func aCountTooLargeForSixtyFourBitsIsRefused() throws {
        try expectRefused(
            Array("\(passwordSHA1):1\n\(passwordSHA1):99999999999999999999\n".utf8),
            message: "FILE:2: expected a decimal count after ':'")
    }

    @Test func aBadLineInABareHashListIsRefused() throws {
        try expectRefused(Array("\(passwordSHA1)\n\(passwordSHA1) \n".utf8), message: "FILE:2: expected 40 hex digits")
    }

    @Test func binaryJunkIsRefused() throws {
        var random = SeededRandom(seed: 1)
        let junk = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: random.next()) | 0x01 }.map {
            $0 == 0x0A ? 0x0B : $0
        }
        try expectRefused(junk, format: .hibp, message: "FILE:1: line longer than 65536 bytes (binary data?)")
    }

    @Test func aTruncatedGzipFileIsRefused() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("dump.txt", String(repeating: "\(passwordSHA1):1\n", count: 20_000))
        try run("/bin/gzip", [dump])
        let compressed = try fileBytes(dump + ".gz")
        try expectRefused(
            Array(compressed.prefix(compressed.count / 2)), named: "cut.txt.gz",
            message: "FILE: gzip data is damaged or truncated (unexpected end of file)")
    }

    @Test func aFileNamedGzThatIsNotGzipIsRefused() throws {
        try expectRefused(
            Array("\(passwordSHA1):1\n".utf8), named: "plain.gz",
            message: "FILE: not in gzip format (the name ends in .gz)")
    }

    @Test func aMissingInputIsRefused() throws {
        let directory = try TemporaryDirectory()
        #expect { _ = try ingest([directory.file("nope.txt")], in: directory) } throws: {
            "\($0)" == "\(directory.file("nope.txt")): No such file or directory"
        }
    }

    @Test func skipInvalidCountsAndReportsRefusedLines() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("dump.txt", "\(passwordSHA1):1\nnonsense\n\(passwordSHA1):2\nmore nonsense")
        let (index, summary) = try ingest([dump], in: directory) { $0.skipInvalid = true }
        #expect(index.count(ofPassword: "password") == 3)
        #expect(summary.linesRefused == 2)
        #expect(
            summary.refusals == [
                "\(dump):2: expected 40 hex digits before ':'", "\(dump):4: expected 40 hex digits before ':'",
            ])
    }

    @Test func anEmptyInputBuildsAnEmptyIndex() throws {
        let directory = try TemporaryDirectory()
        let empty = try directory.write("empty.txt", "\n\n")
        let (index, summary) = try ingest([empty], in: directory) { $0.format = .hibp }
        #expect(summary.metadata.hashCount == 0)
        #expect(index.count(ofPassword: "password") == 0)
        #expect(index.verify().isIntact)
    }

    @Test func aStaleTemporaryFileFromAKilledRunIsRemoved() throws {
        let directory = try TemporaryDirectory()
        // PID 2^22 + 1 is above Linux's pid_max: no such process can exist.
        let stale = try directory.write(".index.building.4194305", "half-written")
        let good = try directory.write("good.txt", "\(passwordSHA1):1\n")
        _ = try ingest([good], in: directory)
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
