import NIOCore

extension ByteBuffer {
    /// These bytes in the least storage a buffer of them gets, for a buffer that is kept
    /// (cached answers): answers are written in buffers sized for the worst case, up to
    /// twice what they need. NIO rounds every buffer's storage up to a power of two, so a
    /// copy saves memory only when that rounding of the bytes is below the storage held;
    /// else the buffer itself is returned, uncopied.
    var compacted: ByteBuffer {
        let needed = readableBytes == 0 ? 0 : 1 << (Int.bitWidth - (readableBytes - 1).leadingZeroBitCount)
        return needed < capacity ? ByteBuffer(bytes: readableBytesView) : self
    }
}
