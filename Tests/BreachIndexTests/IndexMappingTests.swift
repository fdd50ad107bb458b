import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

/// How an open index's file is mapped.
@Suite struct IndexMappingTests {
    #if os(Linux)
        /// The `VmFlags` of this process's map of `path` (`/proc/self/smaps`), or `nil`.
        static func mapFlags(of path: String) throws -> [Substring]? {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            // Read to the end: a /proc file's size reads as 0.
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
            let smaps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
            var inMap = false
            for line in smaps.split(separator: "\n") {
                if let first = line.first, first.isHexDigit, line.contains("-") {
                    inMap = line.hasSuffix(" " + resolved)
                } else if inMap, line.hasPrefix("VmFlags:") {
                    return line.dropFirst("VmFlags:".count).split(separator: " ")
                }
            }
            return nil
        }

        /// An index that fits in memory asks for 2 MiB pages over its whole map (`hg`), so that
        /// its lookups miss the TLB less (docs/benchmarks.md).
        @Test func anIndexThatFitsInMemoryIsMappedForHugePages() throws {
            let directory = try TemporaryDirectory()
            let index = try IndexRoundTripTests.index(of: IndexRoundTripTests.entries(.sha1, seed: 3), in: directory)
            let flags = try #require(try Self.mapFlags(of: index.path), "the index's map is in /proc/self/smaps")
            #expect(flags.contains("hg"), "VmFlags: \(flags.joined(separator: " "))")
        }
    #endif
}
