import ArgumentParser
import BreachHash
import Foundation

/// Writes a synthetic breach dump with the shape of Pwned Passwords: uniformly random
/// hashes (≈1,900 per prefix at two billion), heavy-tailed counts (Pareto, α = 1.1:
/// about half seen once, a few seen millions of times), sorted by hash as the
/// official downloader writes them, or shuffled.
@main
struct GenerateDump: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate-dump", abstract: "Write a synthetic Pwned Passwords-shaped dump.")

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

    @Option(help: "Fill only the first N of the 1,048,576 prefixes (sorted dumps): with --hashes N × 1907 this samples the density of the full two-billion set.")
    var prefixCount = 1 << 20

    @Option(help: "Random seed (the same seed writes the same dump).")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    mutating func run() throws {
        var random = SplitMix64(seed: seed)
        let out = try output.map { path -> FileHandle in
            FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
            return handle
        } ?? FileHandle.standardOutput
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        let digits = hash.hexDigitCount
        func emit(_ digest: HashDigest, _ random: inout SplitMix64) {
            var line = [UInt8](repeating: 0, count: digits)
            line.withUnsafeMutableBufferPointer { Hex.write(digest, digitCount: digits, to: $0.baseAddress!) }
            buffer.append(contentsOf: line)
            if style == .hibp {
                buffer.append(UInt8(ascii: ":"))
                buffer.append(contentsOf: String(Self.paretoCount(&random)).utf8)
            }
            if crlf { buffer.append(0x0D) }
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 {
                out.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if unsorted {
            for _ in 0..<hashes { emit(randomDigest(prefix: Int(random.next() >> 44), &random), &random) }
        } else {
            // Split the hashes over the 2^20 prefixes binomially (normal approximation),
            // so bucket sizes vary as in real data and the total is exact.
            var remaining = hashes
            var bucket: [HashDigest] = []
            for prefix in 0..<prefixCount {
                let prefixesLeft = prefixCount - prefix
                let p = 1 / Double(prefixesLeft)
                let mean = Double(remaining) * p
                let deviation = (mean * (1 - p)).squareRoot()
                let k = prefixesLeft == 1 ? remaining : max(0, min(remaining, Int((mean + deviation * random.gaussian()).rounded())))
                bucket.removeAll(keepingCapacity: true)
                for _ in 0..<k { bucket.append(randomDigest(prefix: prefix, &random)) }
                bucket.sort()
                for digest in bucket { emit(digest, &random) }
                remaining -= k
            }
        }
        out.write(Data(buffer))
    }

    private func randomDigest(prefix: Int, _ random: inout SplitMix64) -> HashDigest {
        let high = UInt64(prefix) << 44 | random.next() >> 20
        let low = hash == .sha1 ? UInt32(truncatingIfNeeded: random.next()) : 0
        return HashDigest(high: high, middle: random.next(), low: low)
    }

    /// P(count ≥ k) = k^−1.1.
    static func paretoCount(_ random: inout SplitMix64) -> UInt64 {
        let u = max(Double(random.next() >> 11) / Double(1 << 53), 1e-15)
        return UInt64(min(pow(u, -1 / 1.1), 1e12))
    }
}

/// A small fast generator; reproducible from its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

extension HashKind: ExpressibleByArgument {}
