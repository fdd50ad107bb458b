import Glibc

/// Buffered writes to standard output: one `write(2)` per 1 MiB, no allocation per line.
final class OutputBuffer {
    private let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: OutputBuffer.capacity)
    private var used = 0
    private static let capacity = 1 << 20

    deinit {
        flush()
        buffer.deallocate()
    }

    /// Space for at least `count` (≤ 1 MiB) bytes; commit what was written with ``advance(by:)``.
    func reserve(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if used + count > Self.capacity { flush() }
        return buffer + used
    }

    func advance(by count: Int) { used += count }

    func append(_ bytes: [UInt8]) {
        for chunk in stride(from: 0, to: bytes.count, by: Self.capacity) {
            let part = bytes[chunk..<min(bytes.count, chunk + Self.capacity)]
            let at = reserve(part.count)
            part.withUnsafeBufferPointer { at.update(from: $0.baseAddress!, count: part.count) }
            advance(by: part.count)
        }
    }

    func flush() {
        var done = 0
        while done < used {
            let wrote = write(1, buffer + done, used - done)
            if wrote < 0 && errno == EINTR { continue }
            if wrote <= 0 { break }  // closed pipe: nothing more can be said
            done += wrote
        }
        used = 0
    }
}
