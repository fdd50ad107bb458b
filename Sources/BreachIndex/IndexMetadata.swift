import BreachHash
import Foundation

/// What an index says about itself, stored as JSON under the key `metadata` of the
/// `meta` database.
public struct IndexMetadata: Codable, Sendable, Equatable {
    /// The format versions this build reads, two per ``IndexFormat`` (with slot marks and
    /// without); readers refuse any other.
    public static let readableFormatVersions = IndexFormat.readableVersions.keys.sorted()

    /// One input the index was built from.
    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        public var format: String
        public var bytes: UInt64?

        public init(path: String, format: String, bytes: UInt64?) {
            self.path = path
            self.format = format
            self.bytes = bytes
        }
    }

    public var formatVersion: Int
    public var hashKind: HashKind
    /// Distinct hashes stored.
    public var hashCount: UInt64
    /// Sum of every hash's count.
    public var countSum: UInt64
    /// Non-empty buckets (20-bit prefixes with at least one hash).
    public var bucketCount: Int
    public var builtAt: Date
    /// A random identifier of this build: changes with every ingest, so caches keyed
    /// on it (ETags) never serve one index's answer for another.
    public var generation: String
    /// Hashes seen fewer times than this were left out (1 keeps everything).
    public var minimumCount: UInt64
    public var sources: [Source]
    /// The prefixes the index was built to hold; `nil` (every index `ingest` writes)
    /// means all of them. A download of a `--prefixes` slice holds only those.
    public var coveredPrefixes: PrefixRange?
    /// XXH3-64 over the 256 chunk checksums, in hex: equal on two nodes exactly when
    /// their buckets are (for the same format version), whatever their builds.
    public var contentDigest: String?

    /// The file's format (`nil` for a version this build does not read).
    public var format: IndexFormat? { IndexFormat(formatVersion: formatVersion) }

    /// The chance that a hash not in the index is reported as present: 0 for a full
    /// index; for a compact one the share of 64-bit keys taken, n / 2⁶⁴ (a non-member's
    /// key is uniform and matches one of the n stored keys with that probability).
    public var falsePositiveProbability: Double {
        format == .compact ? Double(hashCount) / 0x1p64 : 0
    }

    public init(
        format: IndexFormat = .full, hashKind: HashKind, hashCount: UInt64, countSum: UInt64, bucketCount: Int,
        builtAt: Date = Date(), generation: String = UUID().uuidString,
        minimumCount: UInt64, sources: [Source], coveredPrefixes: PrefixRange? = nil, contentDigest: String? = nil
    ) {
        self.formatVersion = format.formatVersion
        self.hashKind = hashKind
        self.hashCount = hashCount
        self.countSum = countSum
        self.bucketCount = bucketCount
        self.builtAt = builtAt
        self.generation = generation
        self.minimumCount = minimumCount
        self.sources = sources
        self.coveredPrefixes = coveredPrefixes
        self.contentDigest = contentDigest
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> IndexMetadata {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(IndexMetadata.self, from: Data(bytes))
    }
}
