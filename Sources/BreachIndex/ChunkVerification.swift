import Foundation

/// The index's checksums one chunk at a time, for a server that verifies the bytes it
/// serves in the background instead of before it answers: opening checks only what is
/// cheap (LMDB's pages, the metadata, the walk of every bucket key); each chunk here
/// reads 1/256 of the bucket data. ``BreachIndex/verify()`` remains the full check,
/// which also decodes every bucket.
extension BreachIndex {
    /// How many chunks the checksums cover, each a run of consecutive prefixes.
    public static let checksumChunkCount = ChunkChecksums.chunkCount

    /// The chunk that covers the bucket of the 20-bit `prefix`.
    public static func chunk(containing prefix: Int) -> Int {
        prefix / ChunkChecksums.prefixesPerChunk
    }

    /// The 20-bit prefixes whose buckets `chunk` covers.
    public static func prefixes(ofChunk chunk: Int) -> Range<Int> {
        precondition((0..<checksumChunkCount).contains(chunk), "no such chunk")
        return chunk * ChunkChecksums.prefixesPerChunk..<(chunk + 1) * ChunkChecksums.prefixesPerChunk
    }

    /// Recomputes the checksum of the buckets of `chunk` as LMDB stores them: `nil` when it
    /// matches the stored one, else what is wrong.
    public func checksumProblem(inChunk chunk: Int) -> String? {
        var checksums = ChunkChecksums()
        do {
            try forEachStoredBucket(in: Self.prefixes(ofChunk: chunk)) { prefix, value in
                checksums.add(prefix: prefix, value: value)
            }
        } catch {
            return "the buckets of prefixes \(Self.describe(chunk: chunk)) cannot be read: \(error)"
        }
        return checksums.finish()[chunk] == storedChecksums[chunk] ? nil : Self.checksumMismatch(inChunk: chunk)
    }

    static func checksumMismatch(inChunk chunk: Int) -> String {
        "checksum mismatch in the buckets of prefixes \(describe(chunk: chunk))"
    }

    /// The chunk's prefixes as hex, e.g. `AB000–ABFFF`.
    static func describe(chunk: Int) -> String {
        let prefixes = prefixes(ofChunk: chunk)
        return "\(rangePrefixText(prefixes.lowerBound))–\(rangePrefixText(prefixes.upperBound - 1))"
    }
}

extension ChunkChecksums {
    /// Adds the bucket of `prefix` under its 3-byte key.
    mutating func add(prefix: Int, value: UnsafeRawBufferPointer) {
        var key = IndexLayout.key(forPrefix: prefix)
        withUnsafeBytes(of: &key) {
            add(prefix: prefix, key: UnsafeRawBufferPointer(rebasing: $0[0..<3]), value: value)
        }
    }
}
