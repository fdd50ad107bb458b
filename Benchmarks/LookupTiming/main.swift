// Single against batch lookups on an index that already exists, of any size and either
// format (docs/benchmarks.md, "Lookups"): tools/bench/run.sh lookups INDEX [QUERIES] [ROUNDS].
// Half the queries are stored hashes of random prefixes, half random non-members, in
// random order; each round times every query once one at a time and once in batches of
// 1,000 (the two interleaved, so that a change in load hits both), wall clock, since a
// lookup's cost is its memory stalls. QUERYFILE, when given, receives the queries as
// hex lines for `breachdb check --sha1` (tools/bench/full-size.sh).
import BreachHash
import BreachIndex
import Foundation
import SyntheticData

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: LookupTiming INDEX [QUERIES (1000000)] [ROUNDS (5)] [QUERYFILE]")
    exit(2)
}
let queryCount = arguments.count > 2 ? Int(arguments[2])! : 1_000_000
let rounds = arguments.count > 3 ? Int(arguments[3])! : 5
let batchSize = 1_000

func seconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
func load() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(
        separator: " ")
        ?? "?"
}

var start = seconds()
let index = try BreachIndex(path: arguments[1])
print("open: \(String(format: "%.3f", seconds() - start)) s; \(index.metadata.hashCount) hashes")

// Members: eight stored entries of each of queryCount / 16 random prefixes.
start = seconds()
var random = SplitMix64(seed: 7)
var queries: [HashDigest] = []
queries.reserveCapacity(queryCount)
while queries.count < queryCount / 2 {
    var entries: [HashDigest] = []
    index.forEachEntry(withPrefix: Int(random.next() % (1 << 20))) { entries.append($0.digest) }
    for _ in 0..<min(8, entries.count, queryCount / 2 - queries.count) {
        queries.append(entries[Int(random.next() % UInt64(entries.count))])
    }
}
while queries.count < queryCount { queries.append(random.digest(.sha1)) }
queries.shuffle(using: &random)
print("\(queryCount) queries, half stored, drawn in \(String(format: "%.1f", seconds() - start)) s")
if arguments.count > 4 {
    let lines = queries.map { Hex.string($0, kind: index.kind) }.joined(separator: "\n") + "\n"
    try lines.write(toFile: arguments[4], atomically: false, encoding: .utf8)
}

var single = [UInt64](repeating: 0, count: queryCount), batch = single
var singleTimes: [Double] = [], batchTimes: [Double] = []
for round in 1...rounds {
    start = seconds()
    for (at, query) in queries.enumerated() { single[at] = index.count(of: query) }
    singleTimes.append((seconds() - start) / Double(queryCount) * 1e9)
    start = seconds()
    queries.withUnsafeBufferPointer { queries in
        batch.withUnsafeMutableBufferPointer { counts in
            for first in stride(from: 0, to: queryCount, by: batchSize) {
                let end = min(first + batchSize, queryCount)
                index.counts(
                    of: UnsafeBufferPointer(rebasing: queries[first..<end]),
                    into: UnsafeMutableBufferPointer(rebasing: counts[first..<end]))
            }
        }
    }
    batchTimes.append((seconds() - start) / Double(queryCount) * 1e9)
    guard single == batch else { fatalError("the batch and single lookups disagree") }
    let found = single.count { $0 > 0 }
    print(
        "round \(round): single \(String(format: "%.1f", singleTimes.last!)) ns, batch \(String(format: "%.1f", batchTimes.last!)) ns a lookup; \(found) found; load \(load())"
    )
}
// How the index's largest map was backed: 2 MiB pages (FilePmdMapped) make a random read cheaper.
// (Read to the end by FileHandle: String(contentsOfFile:) stops after the first read of a /proc file.)
if let smaps = FileHandle(forReadingAtPath: "/proc/self/smaps").map({
    String(decoding: $0.readDataToEndOfFile(), as: UTF8.self)
}) {
    var maps: [[String: Int]] = [], inIndex = false
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.first?.contains("-") == true && fields.count >= 5 {  // a map's header line
            inIndex = line.hasSuffix(arguments[1])
            if inIndex { maps.append([:]) }
        } else if inIndex, fields.count >= 2, let kilobytes = Int(fields[1]) {
            maps[maps.count - 1][String(fields[0].dropLast())] = kilobytes
        }
    }
    if let map = maps.max(by: { $0["Rss", default: 0] < $1["Rss", default: 0] }) {
        print("index map: Rss \(map["Rss", default: 0]) kB, FilePmdMapped \(map["FilePmdMapped", default: 0]) kB")
    }
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
print(
    String(
        format: "median: single %.1f ns, batch of %d %.1f ns a lookup: batch %.2f× the single throughput",
        median(singleTimes), batchSize, median(batchTimes), median(singleTimes) / median(batchTimes)))
