/// A span of 20-bit range prefixes, written `00000-0FFFF` (both ends included): what a
/// downloaded index covers, and what `download --prefixes` asks for.
public struct PrefixRange: Codable, Sendable, Equatable, CustomStringConvertible {
    public static let all = PrefixRange(uncheckedFirst: 0, last: IndexLayout.prefixCount - 1)

    public let first: Int
    public let last: Int

    private init(uncheckedFirst first: Int, last: Int) {
        self.first = first
        self.last = last
    }

    /// `nil` unless both ends are 5 hex digits and `first ≤ last`.
    public init?(_ text: String) {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let first = BreachIndex.rangePrefix(ends[0]),
            let last = BreachIndex.rangePrefix(ends[1]),
            first <= last
        else { return nil }
        self.init(uncheckedFirst: first, last: last)
    }

    public var count: Int { last - first + 1 }
    public var isAll: Bool { self == .all }
    public func contains(_ prefix: Int) -> Bool { (first...last).contains(prefix) }

    public var description: String { BreachIndex.rangePrefixText(first) + "-" + BreachIndex.rangePrefixText(last) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let range = PrefixRange(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a prefix range: \(text)"))
        }
        self = range
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
