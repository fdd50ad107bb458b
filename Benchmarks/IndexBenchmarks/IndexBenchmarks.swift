import Benchmark
import BreachHash
import BreachIndex
import Foundation

// Lookup speed on a synthetic index of BREACHDB_BENCH_HASHES uniformly random SHA-1
// hashes (default 20 million), built once into BREACHDB_BENCH_DIRECTORY (default
// /tmp/breachdb-bench) and reused. Half the queries hit, half miss.

let hashCount = Int(ProcessInfo.processInfo.environment["BREACHDB_BENCH_HASHES"] ?? "") ?? 20_000_000
let directory = ProcessInfo.processInfo.environment["BREACHDB_BENCH_DIRECTORY"] ?? "/tmp/breachdb-bench"
let indexPath = "\(directory)/synthetic-\(hashCount).idx"
/// Passwords whose SHA-1 is in the index ("pw-0", "pw-1", …).
let passwordsInIndex = 100_000

struct Fixture {
    let index: BreachIndex
    let queries: [HashDigest]
    let passwords: [[UInt8]]
}

nonisolated(unsafe) var fixture: Fixture!

func splitMix(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

func randomDigest(_ state: inout UInt64) -> HashDigest {
    HashDigest(high: splitMix(&state), middle: splitMix(&state), low: UInt32(truncatingIfNeeded: splitMix(&state)))
}

func makeFixture() throws -> Fixture {
    let passwords = (0..<passwordsInIndex).map { Array("pw-\($0)".utf8) }
    if !FileManager.default.fileExists(atPath: indexPath) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var state: UInt64 = 1
        var digests = (0..<(hashCount - passwordsInIndex)).map { _ in randomDigest(&state) }
        for password in passwords { digests.append(password.withUnsafeBytes { PasswordHasher.sha1($0) }) }
        digests.sort()
        let writer = try IndexWriter(path: indexPath + ".tmp", kind: .sha1)
        for (i, digest) in digests.enumerated() {
            // Heavy-tailed counts, as in real data.
            try writer.append(HashCount(digest: digest, count: i % 10 == 0 ? UInt64(i % 100_000) + 1 : 1))
        }
        _ = try writer.finish(sources: [])
        try FileManager.default.moveItem(atPath: indexPath + ".tmp", toPath: indexPath)
    }
    let index = try BreachIndex(path: indexPath)
    // Hits: the same random stream as the writer used; misses: another stream.
    var hitState: UInt64 = 1, missState: UInt64 = 0xDEAD_BEEF
    var queries: [HashDigest] = []
    for _ in 0..<500_000 {
        queries.append(randomDigest(&hitState))
        queries.append(randomDigest(&missState))
    }
    return Fixture(index: index, queries: queries, passwords: passwords)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    Benchmark("Lookup SHA-1 (per 1,000, half hits)",
              configuration: .init(setup: { fixture = try makeFixture() })) { benchmark in
        let index = fixture.index, queries = fixture.queries
        var at = Int.random(in: 0..<queries.count)
        for _ in benchmark.scaledIterations {
            blackHole(index.count(of: queries[at]))
            at = at == queries.count - 1 ? 0 : at + 1
        }
    }

    Benchmark("Password check: SHA-1 + lookup (per 1,000, all hits)",
              configuration: .init(setup: { fixture = try makeFixture() })) { benchmark in
        let index = fixture.index, passwords = fixture.passwords
        var at = Int.random(in: 0..<passwords.count)
        for _ in benchmark.scaledIterations {
            blackHole(passwords[at].withUnsafeBytes { index.count(ofPassword: $0) })
            at = at == passwords.count - 1 ? 0 : at + 1
        }
    }

    Benchmark("SHA-1 of a short password (per 1,000)") { benchmark in
        let password = Array("correct-horse".utf8)
        for _ in benchmark.scaledIterations {
            blackHole(password.withUnsafeBytes { PasswordHasher.sha1($0) })
        }
    }

    Benchmark("Range body of one prefix (per 1,000)",
              configuration: .init(setup: { fixture = try makeFixture() })) { benchmark in
        let index = fixture.index
        var prefix = Int.random(in: 0..<(1 << 20))
        for _ in benchmark.scaledIterations {
            blackHole(index.rangeBody(prefix: prefix))
            prefix = (prefix &+ 7919) & 0xFFFFF
        }
    }
}
