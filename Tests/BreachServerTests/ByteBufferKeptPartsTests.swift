import NIOCore
import Testing

@testable import BreachServer

/// Cached answers keep their bytes in parts whose power-of-two storage (NIO's) leaves little
/// unused, copied only when that saves memory.
@Suite struct ByteBufferKeptPartsTests {
    static func buffer(_ count: Int, capacity: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: capacity)
        for i in 0..<count { buffer.writeInteger(UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8)) }
        return buffer
    }

    static let counts = [0, 1, 1000, 4096, 4097, 22_426, 40_600, 65_536, 76_000, 131_073, 300_001]

    @Test(arguments: counts)
    func thePartsHoldTheBytesInOrder(_ count: Int) {
        let buffer = Self.buffer(count, capacity: 2 * count + 1)
        var joined = ByteBuffer()
        for part in buffer.keptParts { joined.writeImmutableBuffer(part) }
        #expect(joined == buffer)
    }

    @Test(arguments: counts)
    func thePartsStorageIsWithinAnEighthOrAPageOfTheBytes(_ count: Int) {
        let held = Self.buffer(count, capacity: 2 * count + 1).keptParts.reduce(0) { $0 + $1.capacity }
        #expect(held - count <= max(count / 8, 4096))
    }

    /// The cache makes room for an answer before it copies it, by this figure.
    @Test(arguments: counts)
    func keptStorageIsWhatThePartsHold(_ count: Int) {
        let held = Self.buffer(count, capacity: 2 * count + 1).keptParts.reduce(0) { $0 + $1.capacity }
        #expect(held == ByteBuffer.keptStorage(of: count))
    }

    @Test func seventySixThousandBytesAreKeptIn64And8And4KiB() {
        let parts = Self.buffer(76_000, capacity: 100_000).keptParts
        #expect(parts.map(\.capacity) == [65_536, 8_192, 4_096])
    }

    @Test func bytesThatFillTheirStorageWellAreNotCopied() {
        let buffer = Self.buffer(60_000, capacity: 60_000)
        let parts = buffer.keptParts
        #expect(parts.count == 1)
        #expect(
            parts[0].withUnsafeReadableBytes { $0.baseAddress } == buffer.withUnsafeReadableBytes { $0.baseAddress })
    }

    @Test func aSmallBodyMovesToTheLeastStorageThatHoldsIt() {
        let parts = Self.buffer(1000, capacity: 4000).keptParts
        #expect(parts.map(\.capacity) == [1024])
    }
}
