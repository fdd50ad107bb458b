import Foundation

extension BreachIndex {
    /// Writes the compact form of this full index (``IndexFormat/compact``) to `path`,
    /// beside it first and renamed over it when complete, as every index is; calls
    /// `progress` with the hashes read so far now and then. Returns the new metadata.
    public func writeCompact(to path: String, progress: ((UInt64) -> Void)? = nil) throws -> IndexMetadata {
        guard answersRanges else { throw IndexError.needsWholeHashes(path: self.path) }
        let destination = try IndexDestination(path: path)
        do {
            let writer = try IndexWriter(
                path: destination.temporaryPath, kind: kind, format: .compact, minimumCount: metadata.minimumCount)
            var read: UInt64 = 0, chunk = -1
            try forEachStoredBucket { prefix, value in
                guard let bucket = BucketReader(value, shape: bucketShape) else {
                    throw IndexError.corrupt(
                        path: self.path,
                        detail: "bucket \(Self.rangePrefixText(prefix)): its header does not match its length")
                }
                try bucket.forEach(prefix: prefix) { try writer.append($0) }
                read += UInt64(bucket.layout.entryCount)
                if prefix / ChunkChecksums.prefixesPerChunk != chunk {
                    chunk = prefix / ChunkChecksums.prefixesPerChunk
                    progress?(read)
                }
            }
            progress?(read)
            let compact = try writer.finish(sources: metadata.sources, coveredPrefixes: metadata.coveredPrefixes)
            try destination.publish()
            return compact
        } catch {
            destination.discard()
            throw error
        }
    }
}
