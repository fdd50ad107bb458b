import CXXHash

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
    /// 5 likewise). Computed once per prefix and kept (``PrefixMemo``; a tag of 0, one
    /// prefix in 2⁶⁴, is computed each time).
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
