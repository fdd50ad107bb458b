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

    /// XXH3-64 of the stored bucket of `prefix` (of no bytes when it is empty): derived
    /// from the range's content alone, so it is the same for the same hashes and counts
    /// in any build of the same format version, on any node.
    public func contentTag(forPrefix prefix: Int) -> UInt64 {
        guard let bucket = bucket(prefix) else { return XXH3_64bits(nil, 0) }
        return XXH3_64bits(bucket.bytes.base, bucket.bytes.count)
    }
}
