import Benchmark
import BreachHash
import BreachIndex
import Foundation
import SyntheticData

// Lookup speed on a synthetic index of BREACHDB_BENCH_HASHES uniformly random SHA-1
// hashes (default 20 million), built once into BREACHDB_BENCH_DIRECTORY (default
// /tmp/breachdb-bench) and reused. Half the queries hit, half miss.
// BREACHDB_BENCH_PREFIXES puts the random hashes (and the queries) in the first so
// many prefixes only: 31,244,288 hashes in 16,384 prefixes is a slice of a
// two-billion-hash index at its density (≈1,907 a prefix).

let hashCount = Int(ProcessInfo.processInfo.environment["BREACHDB_BENCH_HASHES"] ?? "") ?? 20_000_000
let prefixCount = Int(ProcessInfo.processInfo.environment["BREACHDB_BENCH_PREFIXES"] ?? "") ?? 1 << 20
let directory = ProcessInfo.processInfo.environment["BREACHDB_BENCH_DIRECTORY"] ?? "/tmp/breachdb-bench"
let indexPath = "\(directory)/synthetic-\(hashCount)\(prefixCount < 1 << 20 ? "-in-\(prefixCount)" : "").idx"

extension SplitMix64 {
    /// A random SHA-1 digest in the first `prefixCount` prefixes.
    mutating func benchmarkDigest() -> HashDigest {
        prefixCount < 1 << 20 ? digest(.sha1, prefix: Int(next() % UInt64(prefixCount))) : digest(.sha1)
    }
}
/// Passwords whose SHA-1 is in the index ("pw-0", "pw-1", …).
let passwordsInIndex = 100_000

struct Fixture {
    let index: BreachIndex
    /// The same hashes in the compact format (``IndexFormat/compact``).
    let compact: BreachIndex
    let queries: [HashDigest]
    let passwords: [[UInt8]]
}

nonisolated(unsafe) var fixture: Fixture!

func makeFixture() throws -> Fixture {
    let passwords = (0..<passwordsInIndex).map { Array("pw-\($0)".utf8) }
    if !FileManager.default.fileExists(atPath: indexPath) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var random = SplitMix64(seed: 1)
        var digests = (0..<(hashCount - passwordsInIndex)).map { _ in random.benchmarkDigest() }
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
    let index = try BreachIndex(path: indexPath, hugePages: true)
    let compactPath = indexPath.replacingOccurrences(of: ".idx", with: "-compact.idx")
    if !FileManager.default.fileExists(atPath: compactPath) { _ = try index.writeCompact(to: compactPath) }
    // Hits: the same random stream as the writer used; misses: another stream.
    var hits = SplitMix64(seed: 1), misses = SplitMix64(seed: 0xDEAD_BEEF)
    var queries: [HashDigest] = []
    for _ in 0..<500_000 {
        queries.append(hits.benchmarkDigest())
        queries.append(misses.benchmarkDigest())
    }
    return Fixture(
        index: index, compact: try BreachIndex(path: compactPath, hugePages: true), queries: queries,
        passwords: passwords)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000,
        // Checked by `tools/bench/run.sh index thresholds check` against Benchmarks/Thresholds
        // (recorded with `thresholds update` on the project's machine, docs/benchmarks.md):
        // allocations may not grow at all (a lookup makes none), times by a quarter.
        thresholds: [
            .wallClock: .init(relative: [.p50: 25.0]),
            .mallocCountTotal: .init(absolute: [.p50: 0]),
        ]
    )

    for (name, compact) in [("", false), (", compact index", true)] {
        Benchmark(
            "Lookup SHA-1\(name) (per 1,000, half hits)",
            configuration: .init(setup: { fixture = try makeFixture() })
        ) { benchmark in
            let index = compact ? fixture.compact : fixture.index, queries = fixture.queries
            var at = Int.random(in: 0..<queries.count)
            for _ in benchmark.scaledIterations {
                blackHole(index.count(of: queries[at]))
                at = at == queries.count - 1 ? 0 : at + 1
            }
        }
    }

    // The same queries as the single lookups, 1,000 to a call of the batch API.
    for (name, compact) in [("full", false), ("compact", true)] {
        Benchmark(
            "Batch lookup SHA-1, \(name) index (per 1,000, half hits, batches of 1,000)",
            configuration: .init(setup: { fixture = try makeFixture() })
        ) { benchmark in
            let index = compact ? fixture.compact : fixture.index
            let batch = 1_000
            var counts = [UInt64](repeating: 0, count: batch)
            fixture.queries.withUnsafeBufferPointer { queries in
                var at = Int.random(in: 0..<(queries.count / batch)) * batch
                for _ in stride(from: 0, to: benchmark.scaledIterations.count, by: batch) {
                    counts.withUnsafeMutableBufferPointer {
                        index.counts(of: UnsafeBufferPointer(rebasing: queries[at..<(at + batch)]), into: $0)
                    }
                    blackHole(counts[0])
                    at = at + 2 * batch > queries.count ? 0 : at + batch
                }
            }
        }
    }

    Benchmark(
        "Password check: SHA-1 + lookup (per 1,000, all hits)",
        configuration: .init(setup: { fixture = try makeFixture() })
    ) { benchmark in
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

    Benchmark(
        "Range body of one prefix (per 1,000)",
        configuration: .init(setup: { fixture = try makeFixture() })
    ) { benchmark in
        let index = fixture.index
        var prefix = Int.random(in: 0..<(1 << 20))
        for _ in benchmark.scaledIterations {
            blackHole(index.rangeBody(prefix: prefix))
            prefix = (prefix &+ 7919) & 0xFFFFF
        }
    }
}
