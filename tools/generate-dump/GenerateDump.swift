import ArgumentParser
import BreachHash
import Foundation
import SyntheticData

/// Writes a synthetic breach dump with the shape of Pwned Passwords: uniformly random
/// hashes (≈1,900 per prefix at two billion), heavy-tailed counts (Pareto, α = 1.1:
/// about half seen once, a few seen millions of times), sorted by hash as the
/// official downloader writes them, or shuffled.
@main
struct GenerateDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-dump", abstract: "Write a synthetic Pwned Passwords-shaped dump.")

    enum Style: String, ExpressibleByArgument {
        /// `HASH:COUNT` lines.
        case hibp
        /// Bare hashes.
        case sha1
    }

    @Option(help: "How many distinct hashes to write.")
    var hashes: Int

    @Option(help: "hibp (HASH:COUNT) or sha1 (bare hashes).")
    var style: Style = .hibp

    @Option(help: "Hash length: sha1 (40 hex) or ntlm (32 hex).")
    var hash: HashKind = .sha1

    @Flag(help: "Random order instead of sorted.")
    var unsorted = false

    @Flag(help: "End lines with CRLF.")
    var crlf = false

    @Option(
        help:
            "Fill only the first N of the 1,048,576 prefixes (sorted dumps): with --hashes N × 1907 this samples the density of the full two-billion set."
    )
    var prefixCount = 1 << 20

    @Option(help: "Random seed (the same seed writes the same dump).")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    mutating func run() throws {
        var random = SplitMix64(seed: seed)
        let out =
            try output.map { path -> FileHandle in
                FileManager.default.createFile(atPath: path, contents: nil)
                guard let handle = FileHandle(forWritingAtPath: path) else {
                    throw ValidationError("cannot write \(path)")
                }
                return handle
            } ?? FileHandle.standardOutput
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        let digits = hash.hexDigitCount
        func emit(_ digest: HashDigest, _ random: inout SplitMix64) {
            buffer.append(contentsOf: repeatElement(0, count: digits))
            buffer.withUnsafeMutableBufferPointer {
                Hex.write(digest, digitCount: digits, to: $0.baseAddress! + $0.count - digits)
            }
            if style == .hibp {
                buffer.append(UInt8(ascii: ":"))
                appendDecimal(random.paretoCount(), to: &buffer)
            }
            if crlf { buffer.append(0x0D) }
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 {
                out.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if unsorted {
            for _ in 0..<hashes { emit(random.digest(hash), &random) }
        } else {
            // Bucket sizes are Poisson as in real data; each prefix's mean is what is
            // left over the prefixes left, so the total comes out exact.
            var remaining = hashes
            var bucket: [HashDigest] = []
            for prefix in 0..<prefixCount {
                let prefixesLeft = prefixCount - prefix
                let k =
                    prefixesLeft == 1
                    ? remaining : min(remaining, random.poisson(mean: Double(remaining) / Double(prefixesLeft)))
                bucket.removeAll(keepingCapacity: true)
                for _ in 0..<k { bucket.append(random.digest(hash, prefix: prefix)) }
                bucket.sort()
                for digest in bucket { emit(digest, &random) }
                remaining -= k
            }
        }
        out.write(Data(buffer))
    }
}

extension HashKind: ExpressibleByArgument {}

/// Appends `value` in decimal without making a String: the full-size benchmark streams
/// two billion lines from here into `breachdb ingest`, which must be the slower side.
private func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
        var count = 0, rest = value
        repeat {
            digits[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            count += 1
        } while rest > 0
        buffer.append(contentsOf: digits[(20 - count)...])
    }
}
