import BreachHash
import BreachIndex
import Foundation
import TestSupport
import Testing

/// Operators swap indexes by pointing a link at a new file: opening through it is opening the file.
@Suite struct SymbolicLinkTests {
    @Test func anIndexOpenedThroughASymbolicLinkAnswersAsTheFileDoes() throws {
        let directory = try TemporaryDirectory()
        let entries = IndexRoundTripTests.entries(.sha1, seed: 7)
        try writeIndex(entries, to: directory.file("index"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.file("current"), withDestinationPath: directory.file("index"))
        let index = try BreachIndex(path: directory.file("current"))
        #expect(index.verify().isIntact)
        for entry in entries.prefix(500) { #expect(index.count(of: entry.digest) == entry.count) }
    }
}
