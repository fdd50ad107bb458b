import BreachHash

/// How much of each hash an index keeps: the one difference between the two file
/// formats, which share the block and bucket layout (`docs/index-format.md`).
public enum IndexFormat: String, Sendable, CaseIterable, Codable {
    /// Whole hashes: answers checks and range queries, and can be exported.
    case full
    /// The first 64 bits of each hash, counts exact: answers checks only, at about a
    /// third of the size, with a false-positive probability per query of n / 2⁶⁴.
    case compact

    /// The `formatVersion` this build writes for this format: 4 and 5, whose buckets carry
    /// slot marks. Versions 2 and 3 are the same formats without them (still read).
    public var formatVersion: Int {
        switch self {
        case .full: 4
        case .compact: 5
        }
    }

    /// Every `formatVersion` this build reads, with the format each names.
    static let readableVersions: [Int: IndexFormat] = [2: .full, 3: .compact, 4: .full, 5: .compact]

    /// The format a file's `formatVersion` names; `nil` for one this build does not read.
    public init?(formatVersion: Int) {
        guard let format = Self.readableVersions[formatVersion] else { return nil }
        self = format
    }

    /// `true` when the buckets of a file of `formatVersion` start with slot marks
    /// (``BucketShape``): from versions 4 (full) and 5 (compact) on.
    static func hasSlotMarks(formatVersion: Int) -> Bool { formatVersion >= 4 }

    /// Bits of a hash the index keeps, its 20-bit range prefix included.
    public func keyBits(for kind: HashKind) -> Int {
        switch self {
        case .full: kind.digestByteCount * 8
        case .compact: Self.compactKeyBits
        }
    }

    /// Bits a bucket stores of each hash after the range prefix.
    func suffixBits(for kind: HashKind) -> Int {
        keyBits(for: kind) - HashDigest.prefixBitCount
    }

    /// A compact index keeps `HashDigest.high`: the first 64 bits, one machine word.
    static let compactKeyBits = 64

    /// The part of `digest` this format keeps (the rest zero).
    @inlinable func key(of digest: HashDigest) -> HashDigest {
        self == .full ? digest : HashDigest(high: digest.high, middle: 0, low: 0)
    }
}
