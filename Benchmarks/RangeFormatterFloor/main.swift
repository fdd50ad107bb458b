// What a range answer costs on a cache miss, in-process (docs/benchmarks.md):
// tools/bench/run.sh floor INDEX PREFIXES, PREFIXES a count (the index's first prefixes) or a
// file of hex prefixes, one a line (tools/bench/load.sh's prefixes.txt: random ones).
import BreachIndex
@_spi(Benchmarks) import BreachServer
import Glibc

// Timed in this thread's CPU time: the machine is shared.
func cpuNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}
let index = try BreachIndex(path: CommandLine.arguments[1], hugePages: true)
let prefixes: [Int] =
    if let count = Int(CommandLine.arguments[2]) {
        Array(0..<count)
    } else {
        try String(contentsOfFile: CommandLine.arguments[2], encoding: .utf8).split(separator: "\n").map {
            BreachIndex.rangePrefix($0)!
        }
    }
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
let lines = prefixes.reduce(0) { $0 + index.entryCount(withPrefix: $1) }
// Every result's length is summed and printed, so that no work is optimised away.
var bytes = 0

/// The median over the prefixes of `work` on what `prepare` makes of one (not timed), in µs.
@MainActor func median<Input>(prepare: (Int) -> Input, _ work: (Input) -> Int) -> Double {
    var times: [Double] = []
    times.reserveCapacity(prefixes.count)
    for prefix in prefixes {
        let input = prepare(prefix)
        let start = cpuNanoseconds()
        bytes &+= work(input)
        times.append(cpuNanoseconds() - start)
    }
    return (times.sorted()[times.count / 2] / 100).rounded() / 10
}

/// The prefix's plain body, formatted into `buffer`.
@MainActor func text(_ prefix: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: buffer[..<index.writeRangeBody(prefix: prefix, to: buffer)])
}

print("\(prefixes.count) prefixes, \(lines / prefixes.count) lines an answer; medians per answer, µs of CPU")
for round in 0..<3 {
    var start = cpuNanoseconds()
    for prefix in prefixes { bytes &+= index.writeRangeBody(prefix: prefix, to: buffer) }
    let onePass = Int((cpuNanoseconds() - start) / Double(lines))
    start = cpuNanoseconds()
    for prefix in prefixes {
        bytes &+= BreachIndex.rangeBody(index.entries(withPrefix: prefix), kind: index.kind).count
    }
    let entriesThenLines = Int((cpuNanoseconds() - start) / Double(lines))
    let format = median(prepare: { $0 }) { index.writeRangeBody(prefix: $0, to: buffer) }
    // A part of some misses (those asking for a digest), on the text just formatted.
    let digest = median(prepare: text) { RangeAnswerCosts.digest($0) }
    // Whole answers as the route makes them on a miss, asked for no digest: body, coding, head.
    // gzip's twice, on an index opened afresh each round: a prefix's first gzip answer
    // computes its text's CRC-32, the next takes it from the index.
    let fresh = try BreachIndex(path: CommandLine.arguments[1], hugePages: true)
    let answers = [(index, nil), (fresh, "gzip"), (fresh, "gzip"), (index, "br")].map { index, coding in
        median(prepare: { $0 }) { RangeAnswerCosts.answer(index: index, prefix: $0, acceptEncoding: coding) }
    }
    print(
        "round \(round): format \(format) (\(onePass) ns a line; entries then lines \(entriesThenLines)), "
            + "Repr-Digest of the text \(digest); "
            + "whole answer plain \(answers[0]), gzip \(answers[1]) (first; again \(answers[2])), br \(answers[3])"
    )
}
print(bytes)
