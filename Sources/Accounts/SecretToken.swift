import BreachSupport
import CLibCrypto
import Foundation

/// Secrets handed to users (activation and reset links, sessions, device tokens) and
/// what the store keeps of them: only a SHA-256 hash, so a leaked database holds no
/// usable token. 256 random bits, so the unsalted hash cannot be reversed.
enum SecretToken {
    static let byteCount = 32

    /// A new token, base64url without padding (43 characters, safe in links).
    static func make(using random: any SecureRandomSource) -> String {
        base64URL(random.bytes(count: byteCount))
    }

    /// The stored form of a token: lowercase hex SHA-256 (device codes, six digits, are
    /// an HMAC instead: ``DeviceVerification/codeHash(_:for:)``).
    static func hash(_ token: String) -> TokenHash {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let bytes = Array(token.utf8)
        SHA256(bytes, bytes.count, &digest)
        return TokenHash(hex: digest.map { String(format: "%02x", $0) }.joined())
    }

    /// A six-digit code (device verification), uniform over 000000…999999.
    static func sixDigitCode(using random: any SecureRandomSource) -> String {
        // Rejection sampling: 2^32 is not a multiple of 10^6.
        let limit = UInt32.max - UInt32.max % 1_000_000
        while true {
            let value = random.bytes(count: 4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if value < limit { return String(format: "%06u", value % 1_000_000) }
        }
    }

    /// Equal hashes in time independent of where they differ (OpenSSL's CRYPTO_memcmp).
    static func constantTimeEquals(_ a: TokenHash, _ b: TokenHash) -> Bool {
        let x = Array(a.hex.utf8), y = Array(b.hex.utf8)
        guard x.count == y.count else { return false }
        return CRYPTO_memcmp(x, y, x.count) == 0
    }
}
