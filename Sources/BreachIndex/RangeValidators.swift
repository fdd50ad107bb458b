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

    /// XXH3-64 of the stored bucket of `prefix` without its slot marks (of no bytes when it
    /// is empty): derived from the range's content alone, so it is the same for the same
    /// hashes and counts in any build, on any node, in format versions 2 and 4 alike (3 and
    /// 5 likewise). Computed once per prefix and kept (``ContentTags``).
    public func contentTag(forPrefix prefix: Int) -> UInt64 {
        precondition((0..<IndexLayout.prefixCount).contains(prefix), "a range prefix has 20 bits")
        if let known = contentTags[prefix] { return known }
        let tag = bucket(prefix).map(Self.contentTag(of:)) ?? XXH3_64bits(nil, 0)
        contentTags[prefix] = tag
        return tag
    }

    /// The hash of the bytes a file without slot marks stores for `bucket` (its header, then
    /// all after the marks): the marks are derived from the slot bits, and leaving them out
    /// keeps every range's ETag when an index is first rebuilt with them, so replicas
    /// revalidate with 304s instead of fetching every range again.
    private static func contentTag(of bucket: BucketReader) -> UInt64 {
        let (base, layout) = (bucket.bytes.base, bucket.layout)
        guard layout.markCount > 0 else { return XXH3_64bits(base, bucket.bytes.count) }
        let state = XXH3_createState()
        defer { XXH3_freeState(state) }
        XXH3_64bits_reset(state)
        XXH3_64bits_update(state, base, layout.marksOffset)
        XXH3_64bits_update(state, base + layout.slotsOffset, bucket.bytes.count - layout.slotsOffset)
        return XXH3_64bits_digest(state)
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
