import NIOCore

extension ByteBuffer {
    /// These bytes as buffers to keep (the range cache's answers), in storage that holds them
    /// with little of it unused. NIO rounds every buffer's storage up to a power of two, so one
    /// buffer can hold almost twice its bytes (a 76 KB plain answer held 128 KB, a 41 KB gzip
    /// one 64 KB). Here the bytes are cut into the largest powers of two that fit while one
    /// buffer would leave more than an eighth of the rest's storage unused, and the rest (at
    /// most a page, or wasting at most that eighth) is one buffer: within an eighth or a page
    /// of the bytes in all. This buffer itself, uncopied, when its storage is already what one
    /// copy would get and that wastes little.
    var keptParts: [ByteBuffer] {
        var parts: [ByteBuffer] = []
        var rest = readableBytesView
        while rest.count > 4096 && Self.storage(for: rest.count) - rest.count > rest.count / 8 {
            let part = 1 << (Int.bitWidth - 1 - rest.count.leadingZeroBitCount)
            parts.append(ByteBuffer(bytes: rest.prefix(part)))
            rest = rest.dropFirst(part)
        }
        if parts.isEmpty && capacity == Self.storage(for: rest.count) { return [self] }
        parts.append(ByteBuffer(bytes: rest))
        return parts
    }

    /// The storage NIO gives a buffer of `count` bytes.
    static func storage(for count: Int) -> Int {
        count <= 1 ? count : 1 << (Int.bitWidth - (count - 1).leadingZeroBitCount)
    }
}
