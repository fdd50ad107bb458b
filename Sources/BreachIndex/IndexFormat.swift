import BreachHash

/// How much of each hash an index keeps: the one difference between the two file
/// formats, which share the block and bucket layout (`docs/index-format.md`).
public enum IndexFormat: String, Sendable, CaseIterable, Codable {
    /// Whole hashes: answers checks and range queries, and can be exported.
    case full
    /// The first 64 bits of each hash, counts exact: answers checks only, at about a
    /// third of the size, with a false-positive probability per query of n / 2⁶⁴.
    case compact

    /// The `formatVersion` a file of this format records.
    public var formatVersion: Int {
        switch self {
        case .full: 2
        case .compact: 3
        }
    }

    /// The format a file's `formatVersion` names; `nil` for one this build does not read.
    public init?(formatVersion: Int) {
        guard let format = Self.allCases.first(where: { $0.formatVersion == formatVersion }) else { return nil }
        self = format
    }

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
