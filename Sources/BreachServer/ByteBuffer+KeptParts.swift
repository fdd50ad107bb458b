import NIOCore

extension ByteBuffer {
    /// These bytes as buffers to keep (the range cache's answers), in storage that holds them
    /// with little of it unused. NIO rounds every buffer's storage up to a power of two, so one
    /// buffer can hold almost twice its bytes (a 76 KB plain answer would hold 128 KB, a 41 KB
    /// gzip one 64 KB). Here the bytes are cut as ``keptPartSizes(of:)`` says. This buffer
    /// itself, uncopied, when it is one part and its storage is already what a copy would get.
    var keptParts: [ByteBuffer] {
        let sizes = Self.keptPartSizes(of: readableBytes)
        if sizes.count == 1 && capacity == Self.storage(for: readableBytes) { return [self] }
        var rest = readableBytesView
        return sizes.map { size in
            defer { rest = rest.dropFirst(size) }
            return ByteBuffer(bytes: rest.prefix(size))
        }
    }

    /// The storage ``keptParts`` holds `count` bytes in.
    static func keptStorage(of count: Int) -> Int {
        keptPartSizes(of: count).reduce(0) { $0 + storage(for: $1) }
    }

    /// How ``keptParts`` cuts `count` bytes: the largest powers of two that fit, while one
    /// buffer for the rest would leave more than an eighth of the rest's bytes unused; then the
    /// rest (at most a page, or wasting at most that eighth) in one. Within an eighth or a page
    /// of the bytes in all; 76,000 bytes in 64 + 8 + 4 KiB.
    static func keptPartSizes(of count: Int) -> [Int] {
        var sizes: [Int] = []
        var rest = count
        while rest > 4096 && storage(for: rest) - rest > rest / 8 {
            let part = 1 << (Int.bitWidth - 1 - rest.leadingZeroBitCount)
            sizes.append(part)
            rest -= part
        }
        return sizes + [rest]
    }

    /// The storage NIO gives a buffer of `count` bytes.
    static func storage(for count: Int) -> Int {
        count <= 1 ? count : 1 << (Int.bitWidth - (count - 1).leadingZeroBitCount)
    }
}
