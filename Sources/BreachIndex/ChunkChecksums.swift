import CXXHash

/// XXH3-64 checksums of the buckets, one per chunk of 4,096 consecutive prefixes (256
/// chunks), over each bucket's 3-byte key followed by its value. The writer and
/// `verify` both compute them through this type, so they cannot disagree on what is
/// hashed. Stored as 256 little-endian UInt64 under the key `checksums`.
struct ChunkChecksums: ~Copyable {
    static let chunkCount = 256
    static let prefixesPerChunk = (1 << 20) / chunkCount

    private let state: OpaquePointer
    private var chunk: Int?
    private var values: [UInt64]

    init() {
        state = XXH3_createState()
        // A chunk with no buckets keeps the checksum of no bytes.
        XXH3_64bits_reset(state)
        values = [UInt64](repeating: XXH3_64bits_digest(state), count: Self.chunkCount)
    }

    deinit { XXH3_freeState(state) }

    /// Adds one bucket; buckets must come in ascending prefix order.
    mutating func add(prefix: Int, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let target = prefix / Self.prefixesPerChunk
        if target != chunk {
            if let chunk { values[chunk] = XXH3_64bits_digest(state) }
            XXH3_64bits_reset(state)
            chunk = target
        }
        XXH3_64bits_update(state, key.baseAddress, key.count)
        XXH3_64bits_update(state, value.baseAddress, value.count)
    }

    /// The checksums, once every bucket was added.
    mutating func finish() -> [UInt64] {
        if let chunk { values[chunk] = XXH3_64bits_digest(state) }
        chunk = nil
        return values
    }

    static func encode(_ values: [UInt64]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    /// One digest over all the checksums (`IndexMetadata.contentDigest`).
    static func digest(_ values: [UInt64]) -> String {
        let value = encode(values).withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> [UInt64]? {
        guard bytes.count == chunkCount * 8 else { return nil }
        return (0..<chunkCount).map {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))
        }
    }
}
