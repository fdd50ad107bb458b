import BreachSupport
import Foundation

/// An account's id. Its own type, so that an account id cannot be passed where a
/// challenge id, a login or a token hash is meant: swapped arguments do not compile.
public struct AccountID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    static func make() -> AccountID { AccountID(makeIdentifier()) }

    public var description: String { rawValue }

    /// As a bare JSON string (the API's `accountId` and `id`).
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The SHA-256 of a secret token (session, device, link) or the HMAC of a device code,
/// the only form stored.
/// Its own type, so that a token itself is never stored or looked up by mistake.
public struct TokenHash: Hashable, Sendable {
    public let hex: String

    public init(hex: String) { self.hex = hex }
}
