import CXXHash
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BreachIndex {
    /// The validator (ETag) the server sent for the range of `prefix` when this index
    /// was downloaded, or `nil` (an ingested index, or a server that sent none).
    public func validator(forPrefix prefix: Int) -> String? {
        guard let validatorsDatabase else { return nil }
        var key = IndexLayout.key(forPrefix: prefix)
        return transactionLock.withLock { _ in
            withUnsafeBytes(of: &key) { keyBytes in
                let value = try? transaction.value(
                    forKey: UnsafeRawBufferPointer(rebasing: keyBytes[0..<3]), in: validatorsDatabase)
                return value.map { String(decoding: $0, as: UTF8.self) }
            }
        }
    }

    /// XXH3-64 of the stored bucket of `prefix` (of no bytes when it is empty): derived
    /// from the range's content alone, so it is the same for the same hashes and counts
    /// in any build of the same format version, on any node.
    /// Computed once per prefix and kept (``ContentTags``).
    public func contentTag(forPrefix prefix: Int) -> UInt64 {
        precondition((0..<IndexLayout.prefixCount).contains(prefix), "a range prefix has 20 bits")
        if let known = contentTags[prefix] { return known }
        let tag = bucket(prefix).map { XXH3_64bits($0.bytes.base, $0.bytes.count) } ?? XXH3_64bits(nil, 0)
        contentTags[prefix] = tag
        return tag
    }
}

/// The content tags of an index's prefixes, each kept once computed: every range request
/// needs its tag (a 304 nothing else), and hashing a bucket of the real density (≈40 KB, most
/// often not in the CPU's caches) cost ≈5 % of a cache miss's CPU and most of a cache hit's
/// (docs/benchmarks.md). 8 bytes a prefix, 8 MiB an index, in an anonymous map whose pages
/// the kernel gives only when first written, so memory grows with the prefixes asked for.
final class ContentTags: @unchecked Sendable {  // its only state is atomics
    private static let bytes = IndexLayout.prefixCount * MemoryLayout<UInt64>.stride
    private let tags: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        // Zero-filled pages: zero is "not computed yet", and the all-zero bytes are an
        // `Atomic<UInt64>` holding 0 (not `calloc`, which may take them from the heap and
        // write the zeros, making all 8 MiB resident at once).
        let map = mmap(nil, Self.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let map, map != MAP_FAILED else { fatalError("no memory for an index's content tags") }
        tags = map.bindMemory(to: Atomic<UInt64>.self, capacity: IndexLayout.prefixCount)
    }

    deinit { munmap(tags, Self.bytes) }

    /// The tag of `prefix`, `nil` until stored. Relaxed: threads that race compute the same
    /// value from the same bytes, so whichever store lands is right. (A tag that is 0 is
    /// computed each time: one prefix in 2⁶⁴.)
    subscript(prefix: Int) -> UInt64? {
        get {
            let tag = tags[prefix].load(ordering: .relaxed)
            return tag == 0 ? nil : tag
        }
        set { tags[prefix].store(newValue ?? 0, ordering: .relaxed) }
    }
}
