/// Names and keys inside the LMDB file.
enum IndexLayout {
    static let bucketsDatabase = "buckets"
    static let metaDatabase = "meta"
    static let metadataKey = "metadata"
    static let checksumsKey = "checksums"
    static let validatorsDatabase = "validators"

    /// The key of an interrupted writer's checkpoint: one per bucket coding, so that a build
    /// never continues a file whose buckets another build coded otherwise (a build of
    /// versions 2 and 3 reads `checkpoint` only, and starts a version-4 file afresh).
    static func checkpointKey(formatVersion: Int) -> String {
        IndexFormat.hasSlotMarks(formatVersion: formatVersion) ? "checkpoint-\(formatVersion)" : "checkpoint"
    }
    static let databaseCount = 3
    static let prefixCount = 1 << 20

    /// A block's key: its first 20-bit prefix as 3 big-endian bytes, so that LMDB's
    /// byte order is prefix order.
    static func key(forPrefix prefix: Int) -> (UInt8, UInt8, UInt8) {
        (
            UInt8(truncatingIfNeeded: prefix >> 16), UInt8(truncatingIfNeeded: prefix >> 8),
            UInt8(truncatingIfNeeded: prefix)
        )
    }

    static func prefix(ofKey key: UnsafeRawBufferPointer) -> Int? {
        guard key.count == 3 else { return nil }
        let prefix = Int(key[0]) << 16 | Int(key[1]) << 8 | Int(key[2])
        return prefix < prefixCount ? prefix : nil
    }
}
