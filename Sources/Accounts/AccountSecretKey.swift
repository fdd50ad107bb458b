import Crypto
import Foundation

/// The account store's secret key: 32 random bytes that every node sharing the store
/// shares (`--outbox-key-file`). It seals outbox bodies (AES-GCM) and keys the HMAC of
/// device codes (L3). Neither uses it as it is: HKDF-SHA256 derives a key per purpose,
/// so one file serves both without a key doing two jobs.
public struct AccountSecretKey: Sendable {
    public static let byteCount = 32

    private let key: SymmetricKey
    /// Names the key without revealing it: the first 8 bytes of a key derived for this
    /// alone, in hex. Stored beside what the key sealed, so a mismatch can be told.
    public let identifier: String

    /// A key from exactly ``byteCount`` bytes.
    public init(bytes: some ContiguousBytes) throws(AccountSecretKeyError) {
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == Self.byteCount * 8 else { throw .wrongLength(bytes: key.bitCount / 8) }
        self.key = key
        identifier = Self.derive(key, "identifier").withUnsafeBytes { bytes in
            bytes.prefix(8).map { String(format: "%02x", $0) }.joined()
        }
        outboxKey = Self.derive(key, "outbox")
        deviceCodeKey = Self.derive(key, "device code")
    }

    /// A key in its file form: the 32 bytes in base64 (44 characters, as
    /// `openssl rand -base64 32` writes them), surrounding white space ignored.
    public init(base64 text: String) throws(AccountSecretKeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .notBase64(characters: trimmed.count) }
        try self.init(bytes: bytes)
    }

    /// A new random key (from the system's CSPRNG).
    public static func generate() -> AccountSecretKey {
        // A fresh SymmetricKey has exactly byteCount bytes: the init cannot fail.
        try! AccountSecretKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// The file form (``init(base64:)``), with a newline.
    public var base64: String { key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n" }

    /// The key that seals outbox bodies (derived once: each message is sealed and opened).
    public let outboxKey: SymmetricKey

    /// The key of device codes' HMAC (L3).
    let deviceCodeKey: SymmetricKey

    private static func derive(_ key: SymmetricKey, _ purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Data("breachdb accounts \(purpose) v1".utf8), outputByteCount: byteCount)
    }
}

/// Shown by its identifier only, so that a key printed or logged by mistake stays secret.
extension AccountSecretKey: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "AccountSecretKey(\(identifier))" }
    public var debugDescription: String { description }
}

public enum AccountSecretKeyError: Error, Equatable, CustomStringConvertible {
    case notBase64(characters: Int)
    case wrongLength(bytes: Int)

    public var description: String {
        let expected = "expected 32 random bytes in base64 (44 characters; make one with `openssl rand -base64 32`)"
        return switch self {
        case .notBase64(let characters): "not base64 (\(characters) characters): \(expected)"
        case .wrongLength(let bytes): "holds \(bytes) bytes: \(expected)"
        }
    }
}
