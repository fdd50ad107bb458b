import Foundation
import TestSupport
import Testing

/// A small index of real range data plus a few known passwords.
func sampleIndex(in directory: TemporaryDirectory) throws -> String {
    let dump = try directory.write(
        "dump.txt",
        """
        5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493
        7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195
        """)
    let result = try breachdb(["ingest", "--quiet", "-o", directory.file("index"), dump])
    #expect(result.status == 0, "\(result.errorText)")
    return directory.file("index")
}

@Suite struct CheckCommandTests {
    @Test func answersEachPasswordLineInOrder() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(
            ["check", "--index", index], input: Array("password\r\nnot-in-the-index\n123456".utf8))
        #expect(result.status == 0)
        #expect(
            result.outputText
                == """
                5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493
                D7F6F5E3E0D76C0B63F1A0EC2B4C77A11D4C6FB0:0
                7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195

                """.replacingOccurrences(
                    of: "D7F6F5E3E0D76C0B63F1A0EC2B4C77A11D4C6FB0", with: sha1Hex("not-in-the-index")))
    }

    /// Lines are looked up in batches (2^20 lines, `Check.batchSize`): answers cross a
    /// batch's end in input order.
    @Test func answersMoreLinesThanOneBatchInOrder() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let known = [
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493", "7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195",
        ]
        // Unknown hashes spread over all prefixes (an odd multiplier permutes 64-bit values).
        func unknown(_ line: Int) -> String {
            let high = String(UInt64(line) &* 0x9E37_79B9_7F4A_7C15, radix: 16, uppercase: true)
            return String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 24) + ":0"
        }
        let answers = (0..<1_100_000).map { $0 % 3 < 2 ? known[$0 % 3] : unknown($0) }
        let hashes = answers.map { $0.prefix(40) }.joined(separator: "\n")
        let result = try breachdb(["check", "--index", index, "--sha1"], input: Array(hashes.utf8))
        #expect(result.status == 0)
        #expect(result.outputText == answers.joined(separator: "\n") + "\n")
    }

    @Test func neverEchoesAPassword() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(["check", "--index", index, "correct horse battery staple"])
        #expect(!result.outputText.contains("horse"))
        #expect(!result.errorText.contains("horse"))
        #expect(result.outputText == sha1Hex("correct horse battery staple") + ":0\n")
    }

    @Test func takesPasswordsAsArguments() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(["check", "--index", index, "password", "123456"])
        #expect(
            result.outputText
                == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195\n"
        )
    }

    @Test func readsHashesInAnyCaseWithSHA1() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(
            ["check", "--index", index, "--sha1"],
            input: Array("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8\n0000000000000000000000000000000000000000\n".utf8))
        #expect(
            result.outputText
                == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n0000000000000000000000000000000000000000:0\n")
    }

    @Test func aBadHashLineIsAnErrorNamingTheLine() throws {
        let directory = try TemporaryDirectory()
        let index = try sampleIndex(in: directory)
        let result = try breachdb(
            ["check", "--index", index, "--sha1"], input: Array("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8\nnope\n".utf8)
        )
        #expect(result.status != 0)
        #expect(result.outputText == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n")
        #expect(result.errorText.contains("<stdin>:2: expected 40 hex digits"))
    }

    @Test func aMissingIndexIsAClearError() throws {
        let result = try breachdb(["check", "--index", "/nonexistent/index", "password"])
        #expect(result.status != 0)
        #expect(result.errorText.contains("/nonexistent/index: no such index file"))
    }
}

func sha1Hex(_ text: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", "-c", "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest().upper())", text,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try? process.run()
    process.waitUntilExit()
    return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
}
