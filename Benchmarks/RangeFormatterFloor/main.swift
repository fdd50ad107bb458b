// The range formatter's floor, in-process (docs/benchmarks.md): tools/bench/run.sh floor INDEX PREFIXES.
import BreachIndex
import Glibc

// Formatter floor: every prefix of the dense slice decoded and formatted into one buffer,
// timed in this thread's CPU time (the machine is shared).
func cpuNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}
let index = try BreachIndex(path: CommandLine.arguments[1])
let prefixes = Int(CommandLine.arguments[2])!
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
var bytes = 0, lines = 0
for p in 0..<prefixes { lines += index.entryCount(withPrefix: p) }
for round in 0..<3 {
    var start = cpuNanoseconds()
    for p in 0..<prefixes { bytes &+= index.writeRangeBody(prefix: p, to: buffer) }
    var elapsed = cpuNanoseconds() - start
    print(
        "round \(round), one pass: \(Int(elapsed / Double(prefixes) / 1000)) µs CPU per answer, \(Int(elapsed / Double(lines))) ns per line"
    )
    start = cpuNanoseconds()
    for p in 0..<prefixes { bytes &+= BreachIndex.rangeBody(index.entries(withPrefix: p), kind: index.kind).count }
    elapsed = cpuNanoseconds() - start
    print(
        "round \(round), entries then lines: \(Int(elapsed / Double(prefixes) / 1000)) µs CPU per answer, \(Int(elapsed / Double(lines))) ns per line"
    )
}
print(bytes, lines / prefixes)
