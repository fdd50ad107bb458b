import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One value per prefix of an index, kept once computed, for what answers of a range need
/// again and cost a pass over its bucket to derive: the content tags (every range request
/// needs its tag, a 304 nothing else; hashing a bucket of the real density, ≈40 KB most often
/// not in the CPU's caches, cost ≈5 % of a cache miss's CPU and most of a cache hit's) and
/// the CRC-32s of range texts, for gzip (docs/benchmarks.md). Kept with the index, so a
/// reload's new index starts with none and an old one's go with its last request.
/// 8 bytes a prefix, 8 MiB an index, in an anonymous map whose pages the kernel gives only
/// when first written: a 4 KiB page for each run of 512 prefixes one of which is stored, so
/// the whole 8 MiB is resident once ten thousand or so random prefixes were.
final class PrefixMemo: @unchecked Sendable {  // its only state is atomics
    private static let bytes = IndexLayout.prefixCount * MemoryLayout<UInt64>.stride
    private let values: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        // Zero-filled pages: zero is "not computed yet", and the all-zero bytes are an
        // `Atomic<UInt64>` holding 0 (not `calloc`, which may take them from the heap and
        // write the zeros, making all 8 MiB resident at once).
        // No swap reserved for it either: most of it may never be written.
        let map = mmap(nil, Self.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let map, map != MAP_FAILED else { fatalError("no memory for an index's per-prefix values") }
        values = map.bindMemory(to: Atomic<UInt64>.self, capacity: IndexLayout.prefixCount)
    }

    deinit { munmap(values, Self.bytes) }

    /// The value of `prefix`, `nil` until stored. Relaxed: threads that race compute the same
    /// value from the same bytes, so whichever store lands is right. (A value that is 0 is
    /// computed each time.)
    subscript(prefix: Int) -> UInt64? {
        get {
            precondition((0..<IndexLayout.prefixCount).contains(prefix), "a range prefix has 20 bits")
            let value = values[prefix].load(ordering: .relaxed)
            return value == 0 ? nil : value
        }
        set {
            precondition((0..<IndexLayout.prefixCount).contains(prefix), "a range prefix has 20 bits")
            values[prefix].store(newValue ?? 0, ordering: .relaxed)
        }
    }
}
