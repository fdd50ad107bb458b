import Foundation
import Testing

@testable import BreachDownload

@Suite struct ContentDecodingTests {
    /// `text` compressed by the system's gzip or brotli tool, not by our own code.
    func compressed(_ text: String, with tool: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    static let text = String(repeating: "0018A45C4D1DEF81644B54AB7F969B88D65:10\r\n", count: 5_000)

    @Test func gzipBodiesAreDecoded() throws {
        #expect(
            try ContentDecoding.decode(try compressed(Self.text, with: "gzip"), coding: "gzip", limit: 1 << 20)
                == Array(Self.text.utf8))
    }

    @Test func aTruncatedGzipBodyIsRefused() throws {
        let body = try compressed(Self.text, with: "gzip")
        #expect(throws: RangeFailure.self) {
            try ContentDecoding.decode(Array(body.dropLast(20)), coding: "gzip", limit: 1 << 20)
        }
    }

    /// Finding 4: a bomb is cut at the bound, and says so, so that the retry asks for a plain body.
    @Test func aBodyThatInflatesPastTheBoundIsRefusedAtTheBound() throws {
        let bomb = try compressed(String(repeating: "0", count: 16 << 20), with: "gzip")
        #expect(bomb.count < 1 << 20)
        do {
            _ = try ContentDecoding.decode(bomb, coding: "gzip", limit: 1 << 20)
            Issue.record("the bomb was decoded")
        } catch {
            #expect(error.inflatedPastBound)
        }
    }

    @Test func aBodyOfExactlyTheBoundIsDecoded() throws {
        let text = String(repeating: "7", count: 1 << 16)
        #expect(
            try ContentDecoding.decode(try compressed(text, with: "gzip"), coding: "gzip", limit: 1 << 16).count == 1
                << 16)
    }

    @Test func identityBodiesAreKeptAsSent() throws {
        #expect(try ContentDecoding.decode([1, 2, 3], coding: nil, limit: 1 << 20) == [1, 2, 3])
    }

    @Test func anUnknownCodingIsRefused() {
        #expect(throws: RangeFailure.self) { try ContentDecoding.decode([1, 2, 3], coding: "zstd", limit: 1 << 20) }
    }
}
