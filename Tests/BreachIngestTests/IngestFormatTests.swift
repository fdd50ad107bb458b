import BreachHash
import BreachIndex
import BreachIngest
import Foundation
import TestSupport
import Testing

/// Runs an ingest of `inputs` into `directory/index` and opens the result.
func ingest(_ inputs: [String], in directory: TemporaryDirectory, configure: (inout IngestOptions) -> Void = { _ in })
    throws -> (BreachIndex, IngestSummary)
{
    var options = IngestOptions(output: directory.file("index"), inputs: inputs)
    configure(&options)
    let summary = try Ingestor(options: options).run()
    return (try BreachIndex(path: options.output), summary)
}

func digest(_ hex: String, _ kind: HashKind = .sha1) -> HashDigest { Hex.digest(hex, kind: kind)! }

let passwordSHA1 = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"

@Suite struct IngestFormatTests {
    @Test func hibpLinesInEitherCaseAndLineEndingRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write(
            "dump.txt",
            "\(passwordSHA1):3861493\r\n7c4a8d09ca3762af61e59520943dc26494f8941b:37359195\n\nF7C3BC1D808E04732ADF679965CCC34CA7AE3441:2"
        )
        let (index, summary) = try ingest([dump], in: directory)
        #expect(index.count(of: digest(passwordSHA1)) == 3_861_493)
        #expect(index.count(of: digest("7C4A8D09CA3762AF61E59520943DC26494F8941B")) == 37_359_195)
        #expect(index.count(of: digest("F7C3BC1D808E04732ADF679965CCC34CA7AE3441")) == 2)
        #expect(summary.metadata.hashCount == 3)
        #expect(summary.linesSkipped == 1)
        #expect(index.metadata.sources.first?.format == "hibp")
    }

    @Test func bareSHA1ListsCountEachLineOnce() throws {
        let directory = try TemporaryDirectory()
        let list = try directory.write(
            "list.txt", "\(passwordSHA1)\n\(passwordSHA1.lowercased())\n7C4A8D09CA3762AF61E59520943DC26494F8941B\n")
        let (index, summary) = try ingest([list], in: directory)
        #expect(index.count(of: digest(passwordSHA1)) == 2)
        #expect(index.count(of: digest("7C4A8D09CA3762AF61E59520943DC26494F8941B")) == 1)
        #expect(summary.duplicatesMerged == 1)
        #expect(index.metadata.sources.first?.format == "sha1")
    }

    @Test func aRealRangeResponseComesBackByteForByte() throws {
        let directory = try TemporaryDirectory()
        let (index, _) = try ingest([repositoryRoot + "/data/hibp-range/sha1"], in: directory)
        let expected = try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt")
        #expect(index.rangeBody(prefix: 0x5BAA6) == expected)
        #expect(index.count(ofPassword: "password") == 3_861_493)
        #expect(index.metadata.hashCount == 574)
    }

    @Test func aRealNTLMRangeResponseComesBackByteForByte() throws {
        let directory = try TemporaryDirectory()
        let (index, _) = try ingest([repositoryRoot + "/data/hibp-range/ntlm"], in: directory) { $0.hashKind = .ntlm }
        let expected = try rangeResponseBody(repositoryRoot + "/data/hibp-range/ntlm/8846F.txt")
        #expect(index.rangeBody(prefix: 0x8846F) == expected)
        #expect(index.count(ofPassword: "password") == 9_659_365)
        #expect(index.kind == .ntlm)
    }

    @Test func rangeFilesMayBeNamedWithOrWithoutTxtAndPaddingRowsAreSkipped() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("ranges"), withIntermediateDirectories: true)
        try directory.write(
            "ranges/5baa6", "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10\r\n0000000000000000000000000000000000A:0")
        try directory.write("ranges/7C4A8.txt", "D09CA3762AF61E59520943DC26494F8941B:20\r\n")
        try directory.write("ranges/README.md", "not a range file")
        let (index, summary) = try ingest([directory.file("ranges")], in: directory)
        #expect(index.count(ofPassword: "password") == 10)
        #expect(index.count(ofPassword: "123456") == 20)
        #expect(summary.metadata.hashCount == 2)
        #expect(summary.filesIgnored == [directory.file("ranges/README.md")])
    }

    @Test func plaintextPasswordsAreHashedAndCountedByOccurrence() throws {
        let directory = try TemporaryDirectory()
        let bytes: [UInt8] =
            Array("password\r\n123456\npassword\n".utf8) + [0xFF, 0xFE, 0x41, 0x0A] + Array("password".utf8)
        let list = try directory.write("words.txt", bytes)
        let (index, _) = try ingest([list], in: directory) { $0.format = .plaintext }
        #expect(index.count(ofPassword: "password") == 3)
        #expect(index.count(ofPassword: "123456") == 1)
        #expect(index.count(of: digest("407A0A128AB25321F6A305E4FE40521C2DE96F61")) == 1)  // SHA-1 of bytes FF FE 41
    }

    @Test func plaintextCanBuildAnNTLMIndex() throws {
        let directory = try TemporaryDirectory()
        let list = try directory.write("words.txt", "password\npassword\n")
        let (index, _) = try ingest([list], in: directory) {
            $0.format = .plaintext
            $0.hashKind = .ntlm
        }
        #expect(index.count(of: digest("8846F7EAEE8FB117AD06BDD830B7586C", .ntlm)) == 2)
    }

    @Test func ntlmHibpDumpsRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("ntlm.txt", "8846F7EAEE8FB117AD06BDD830B7586C:9659365\n")
        let (index, _) = try ingest([dump], in: directory) { $0.hashKind = .ntlm }
        #expect(index.count(ofPassword: "password") == 9_659_365)
    }

    @Test func gzipInputIsReadTransparently() throws {
        let directory = try TemporaryDirectory()
        let dump = try directory.write("dump.txt", "\(passwordSHA1):5\n")
        try run("/bin/gzip", [dump])
        let (index, _) = try ingest([dump + ".gz"], in: directory)
        #expect(index.count(ofPassword: "password") == 5)
    }

    @Test func autoDetectionRefusesInputItCannotTell() throws {
        let directory = try TemporaryDirectory()
        let words = try directory.write("words.txt", "password\n")
        #expect { _ = try ingest([words], in: directory) } throws: { error in
            "\(error)".contains("words.txt") && "\(error)".contains("--format")
        }
    }
}

/// Runs a program and waits for it; throws on a non-zero exit.
func run(_ program: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
        throw IngestError.invalidArguments("\(program) exited \(process.terminationStatus)")
    }
}
