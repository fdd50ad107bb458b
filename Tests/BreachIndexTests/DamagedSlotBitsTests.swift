import BreachHash
import Foundation
import TestSupport
import Testing

@testable import BreachIndex

/// A range's text from a bucket whose slot bits were damaged (`verify` reports it): the
/// formatter stops where the one bits run out, without reading past the bucket or hanging.
@Suite struct DamagedSlotBitsTests {
    /// Prefix 3's entries at the real density (1,907 hashes), as `SlotMarkTests` writes them.
    static let entries = SlotMarkTests.entries.filter { $0.digest.prefix == 3 }.sorted { $0.digest < $1.digest }

    @Test func aBucketMissingItsLastOneBitListsTheEntriesBeforeIt() throws {
        let directory = try TemporaryDirectory()
        try SlotMarkTests.write(SlotMarkTests.entries, to: directory.file("index"))
        try SlotMarkTests.damagingBucket(of: directory.file("index")) { bytes, start, layout in
            let slotBits = (start + layout.slotsOffset)..<(start + layout.recordsOffset)
            let last = try #require(slotBits.last { bytes[$0] != 0 })
            bytes[last] &= ~(0x80 >> UInt8(bytes[last].leadingZeroBitCount))
        }
        let index = try BreachIndex(path: directory.file("index"))
        #expect(index.rangeBody(prefix: 3) == BreachIndex.rangeBody(Array(Self.entries.dropLast()), kind: .sha1))
    }

    @Test func aBucketWithoutOneBitsListsNothing() throws {
        let directory = try TemporaryDirectory()
        try SlotMarkTests.write(SlotMarkTests.entries, to: directory.file("index"))
        try SlotMarkTests.damagingBucket(of: directory.file("index")) { bytes, start, layout in
            for offset in (start + layout.slotsOffset)..<(start + layout.recordsOffset) { bytes[offset] = 0 }
        }
        let index = try BreachIndex(path: directory.file("index"))
        #expect(index.rangeBody(prefix: 3) == [])
    }
}
