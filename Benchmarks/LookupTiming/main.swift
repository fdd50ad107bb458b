// Single against batch lookups on an index that already exists, of any size and either
// format (docs/benchmarks.md, "Batch lookups", "Batches in prefix order" and "Batch lookups
// bound by their work"):
//     tools/bench/run.sh lookups [--uniform | --cached PREFIXES] INDEX [QUERIES] [ROUNDS] [QUERYFILE]
// Half the queries are stored hashes (eight of each of QUERIES / 16 random prefixes), half
// random non-members, in random order; with --uniform all are random hashes (about one a
// bucket at two billion, as a large audit's mostly absent hashes are); with --cached K all
// are random hashes of K prefixes spread over the range, whose buckets stay in the CPU caches
// when K is small (≈ 10 KB a bucket at the real density: 16 prefixes ≈ 160 KB), so that a
// round times a lookup's work without its memory waits; each
// round times every query one at a time, in
// batches of 1,000 and in one batch of all of them, which `counts(of:into:)` sorts by
// prefix first when there are 16,384 or more (the three interleaved, so that a change in
// load hits all); wall clock, since a lookup's cost is its memory stalls. QUERYFILE, when given, receives
// the queries as hex lines for `breachdb check --sha1` (tools/bench/full-size.sh).
import BreachHash
import BreachIndex
import Foundation
import SyntheticData

var arguments = CommandLine.arguments
let uniform = arguments.contains("--uniform")
arguments.removeAll { $0 == "--uniform" }
var cachedPrefixes: Int?
if let flag = arguments.firstIndex(of: "--cached") {
    let value = arguments.indices.contains(flag + 1) ? arguments[flag + 1] : ""
    cachedPrefixes = Int(value) ?? 0  // 0 is refused below, with the usage
    arguments.removeSubrange(flag...min(flag + 1, arguments.count - 1))
}
let numbers = arguments.dropFirst(2).prefix(2).map { Int($0) }
guard arguments.count >= 2, numbers.allSatisfy({ ($0 ?? 0) > 0 }),
    !(uniform && cachedPrefixes != nil), (1...(1 << 20)).contains(cachedPrefixes ?? 1)
else {
    print(
        "usage: LookupTiming [--uniform | --cached PREFIXES (1…1048576)] INDEX [QUERIES (1000000)] [ROUNDS (5)] [QUERYFILE]"
    )
    exit(2)
}
let queryCount = numbers.first.flatMap { $0 } ?? 1_000_000
let rounds = numbers.dropFirst().first.flatMap { $0 } ?? 5
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
func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

var start = seconds()
let index = try BreachIndex(path: arguments[1], hugePages: true)
print("open: \(format(seconds() - start, 3)) s; \(index.metadata.hashCount) hashes")
guard index.metadata.hashCount > 0 else {
    print("\(arguments[1]): the index is empty")
    exit(1)
}

// Members (unless --uniform or --cached): eight stored entries of each of queryCount / 16 random prefixes.
start = seconds()
var random = SplitMix64(seed: 7)
var queries: [HashDigest] = []
queries.reserveCapacity(queryCount)
while !uniform && cachedPrefixes == nil && queries.count < queryCount / 2 {
    var entries: [HashDigest] = []
    index.forEachEntry(withPrefix: Int(random.next() % (1 << 20))) { entries.append($0.digest) }
    for _ in 0..<min(8, entries.count, queryCount / 2 - queries.count) {
        queries.append(entries[Int(random.next() % UInt64(entries.count))])
    }
}
while queries.count < queryCount {
    let prefix = cachedPrefixes.map { Int(random.next() % UInt64($0)) * ((1 << 20) / $0) }
    queries.append(random.digest(index.kind, prefix: prefix))
}
queries.shuffle(using: &random)
let workload = cachedPrefixes.map { "all random in \($0) prefixes" } ?? (uniform ? "all random" : "half stored")
print("\(queryCount) queries, \(workload), drawn in \(format(seconds() - start)) s")
if arguments.count > 4 {
    let lines = queries.map { Hex.string($0, kind: index.kind) }.joined(separator: "\n") + "\n"
    try lines.write(toFile: arguments[4], atomically: false, encoding: .utf8)
}

/// Nanoseconds a lookup, one at a time, in batches of `batchSize` and in one batch of all
/// `queries`; all must answer alike. (In a function, on local arrays: top-level code works
/// on globals, whose accesses the compiler checks, which would tax the single loop's writes
/// more than the batches'.)
func timeRound(_ queries: [HashDigest]) -> (single: Double, batch: Double, whole: Double, found: Int) {
    func nanosecondsPerQuery(_ body: () -> Void) -> Double {
        let start = seconds()
        body()
        return (seconds() - start) / Double(queries.count) * 1e9
    }
    var single = [UInt64](repeating: 0, count: queries.count)
    let singleTime = nanosecondsPerQuery {
        for (at, query) in queries.enumerated() { single[at] = index.count(of: query) }
    }
    func timeBatches(of size: Int) -> Double {
        var counts = [UInt64](repeating: 0, count: queries.count)
        let time = nanosecondsPerQuery {
            queries.withUnsafeBufferPointer { queries in
                counts.withUnsafeMutableBufferPointer { counts in
                    for first in stride(from: 0, to: queries.count, by: size) {
                        let end = min(first + size, queries.count)
                        index.counts(
                            of: UnsafeBufferPointer(rebasing: queries[first..<end]),
                            into: UnsafeMutableBufferPointer(rebasing: counts[first..<end]))
                    }
                }
            }
        }
        guard single == counts else { fatalError("batches of \(size) and single lookups disagree") }
        return time
    }
    return (singleTime, timeBatches(of: batchSize), timeBatches(of: queries.count), single.count { $0 > 0 })
}

var singleTimes: [Double] = [], batchTimes: [Double] = [], wholeTimes: [Double] = []
for round in 1...rounds {
    let (single, batch, whole, found) = timeRound(queries)
    singleTimes.append(single)
    batchTimes.append(batch)
    wholeTimes.append(whole)
    print(
        "round \(round): single \(format(single)) ns, batch of \(batchSize) \(format(batch)) ns,"
            + " one batch \(format(whole)) ns a lookup; \(found) found; load \(load())"
    )
}

// How the index's largest map was backed: 2 MiB pages (FilePmdMapped) make a random read cheaper.
// (Read to the end by FileHandle: String(contentsOfFile:) stops after the first read of a /proc file.)
let indexPath = URL(fileURLWithPath: arguments[1]).resolvingSymlinksInPath().path
if let smaps = FileHandle(forReadingAtPath: "/proc/self/smaps").map({
    String(decoding: $0.readDataToEndOfFile(), as: UTF8.self)
}) {
    var maps: [[String: Int]] = [], inIndex = false
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.first?.contains("-") == true && fields.count >= 5 {  // a map's header line
            inIndex = line.hasSuffix(indexPath)
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
let singleMedian = median(singleTimes), batchMedian = median(batchTimes), wholeMedian = median(wholeTimes)
print(
    "median: single \(format(singleMedian)) ns, batch of \(batchSize) \(format(batchMedian)) ns,"
        + " one batch of \(queryCount) \(format(wholeMedian)) ns a lookup: batches"
        + " \(format(singleMedian / batchMedian, 2))× and \(format(singleMedian / wholeMedian, 2))× the single throughput"
)
