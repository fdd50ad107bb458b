import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

/// How an open index's file is mapped.
@Suite struct IndexMappingTests {
    #if os(Linux)
        /// Each of this process's maps of `path` (`/proc/self/smaps`; a map that advice split
        /// is several): its `VmFlags` and its resident kilobytes.
        static func maps(of path: String) throws -> [(flags: [Substring], residentKilobytes: Int)] {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            // Read to the end: a /proc file's size reads as 0.
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
            let smaps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
            var maps: [(flags: [Substring], residentKilobytes: Int)] = []
            var inMap = false, resident = 0
            for line in smaps.split(separator: "\n") {
                // A map's first line starts with its range, "start-end" in hex.
                let range = line.prefix { $0 != " " }
                if range.contains("-"), range.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                    inMap = line.hasSuffix(" " + resolved)
                } else if inMap, line.hasPrefix("Rss:") {
                    resident = Int(line.split(separator: " ")[1]) ?? 0
                } else if inMap, line.hasPrefix("VmFlags:") {
                    maps.append((line.dropFirst("VmFlags:".count).split(separator: " "), resident))
                }
            }
            return maps
        }

        /// An index written in `directory` and opened, with `hugePages` or not.
        static func index(in directory: TemporaryDirectory, hugePages: Bool) throws -> BreachIndex {
            try writeIndex(IndexRoundTripTests.entries(.sha1, seed: 3), kind: .sha1, to: directory.file("index"))
            return try BreachIndex(path: directory.file("index"), hugePages: hugePages)
        }

        static let transparentHugePages = FileManager.default.fileExists(
            atPath: "/sys/kernel/mm/transparent_hugepage/enabled")

        /// With `hugePages`, an index that fits in memory asks for 2 MiB pages (`hg`) over its
        /// whole map, so that its lookups miss the TLB less (docs/benchmarks.md).
        @Test(.enabled(if: transparentHugePages))
        func anIndexOpenedForLookupsIsMappedForHugePagesWhole() throws {
            let directory = try TemporaryDirectory()
            try withExtendedLifetime(directory) {
                let index = try Self.index(in: directory, hugePages: true)
                let maps = try Self.maps(of: index.path)
                try #require(!maps.isEmpty, "the index's map is in /proc/self/smaps")
                #expect(maps.allSatisfy { $0.flags.contains("hg") }, "\(maps)")
            }
        }

        /// Without it (a command that opens an index to answer once), a cold open reads only
        /// what it needs: no advice.
        @Test func anIndexOpenedToAnswerOnceGetsNoAdvice() throws {
            let directory = try TemporaryDirectory()
            try withExtendedLifetime(directory) {
                let index = try Self.index(in: directory, hugePages: false)
                let maps = try Self.maps(of: index.path)
                try #require(!maps.isEmpty, "the index's map is in /proc/self/smaps")
                #expect(maps.allSatisfy { !$0.flags.contains("hg") }, "\(maps)")
            }
        }

        /// A reader that walks the whole file (a refresh copying unchanged ranges) unmaps what
        /// it read from time to time, so that its resident memory does not grow to the file's.
        @Test func droppingAnIndexsMappedPagesUnmapsWhatWasRead() throws {
            let directory = try TemporaryDirectory()
            try withExtendedLifetime(directory) {
                let index = try Self.index(in: directory, hugePages: false)
                var entries = 0
                index.forEachEntry { _ in entries += 1 }
                let read = try Self.maps(of: index.path).reduce(0) { $0 + $1.residentKilobytes }
                index.dropMappedPages()
                let dropped = try Self.maps(of: index.path).reduce(0) { $0 + $1.residentKilobytes }
                #expect(entries > 0)
                #expect(read > 0 && dropped < read, "resident: \(read) kB after reading, \(dropped) kB after dropping")
            }
        }
    #endif
}
