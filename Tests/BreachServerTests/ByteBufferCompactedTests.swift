import NIOCore
import Testing

@testable import BreachServer

/// Cached answers keep their bytes in the least storage NIO gives them, copied only when
/// that saves memory.
@Suite struct ByteBufferCompactedTests {
    static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test func bytesThatFillMoreThanHalfTheirStorageAreNotCopied() {
        var buffer = ByteBufferAllocator().buffer(capacity: 100_000)
        buffer.writeRepeatingByte(0x41, count: 76_000)
        let compacted = buffer.compacted
        #expect(compacted.capacity == buffer.capacity)
        #expect(Self.address(compacted) == Self.address(buffer))
    }

    @Test func bytesThatFillLessThanHalfTheirStorageMoveToSmallerStorage() {
        var buffer = ByteBufferAllocator().buffer(capacity: 100_000)
        buffer.writeRepeatingByte(0x41, count: 30_000)
        let compacted = buffer.compacted
        #expect(compacted.capacity == 32_768)
        #expect(compacted == buffer)
    }

    @Test(arguments: [0, 1, 2, 3, 4096, 4097])
    func noStorageIsSmallerThanTheBytes(_ count: Int) {
        var buffer = ByteBufferAllocator().buffer(capacity: 1 << 16)
        buffer.writeRepeatingByte(0x41, count: count)
        #expect(buffer.compacted.capacity >= count)
        #expect(buffer.compacted == buffer)
    }
}
