import CLibCrypto
import Foundation

/// The `Repr-Digest` field of RFC 9530 with its `sha-256` algorithm: the downloader asks for
/// it (`Want-Repr-Digest`), the daemon sends it with a range answer when asked (a digest of
/// the representation's bytes as sent, content coding applied), and the downloader checks
/// the body it received against it, before decoding. Brotli carries no checksum of its own,
/// and plain HTTP none at all, so this is what catches a body changed on the way.
public enum RepresentationDigest {
    /// `sha-256=:BASE64:` for `bytes`.
    public static func field(of bytes: UnsafeRawBufferPointer) -> String {
        "sha-256=:\(Data(sha256(bytes)).base64EncodedString()):"
    }

    /// The `Want-Repr-Digest` the downloader sends: sha-256, the only algorithm it checks.
    public static let wantField = "sha-256=1"

    /// Whether a `Want-Repr-Digest` field asks for sha-256: its `sha-256` member's preference
    /// is 1 to 10 (RFC 9530 §4; 0 says "not acceptable"; an integer is digits only).
    public static func isWanted(byField field: String?) -> Bool {
        guard let value = sha256Member(of: field),
            value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let preference = Int(value)
        else { return false }
        return (1...10).contains(preference)
    }

    /// The value of the `sha-256` member of a structured-field dictionary (`Repr-Digest`,
    /// `Want-Repr-Digest`), trimmed: a member's parameters (`;…`) are ignored, and of a key
    /// given twice the last counts.
    private static func sha256Member(of field: String?) -> String? {
        var value: String?
        for member in (field ?? "").split(separator: ",") {
            let parts = member.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "sha-256" else {
                continue
            }
            value = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return value
    }

    public enum Expectation: Equatable, Sendable {
        /// No `sha-256` member: nothing to check (RFC 9530 lets a recipient ignore other algorithms).
        case none
        case sha256([UInt8])
        /// A `sha-256` member that is not 32 bytes of base64 between colons.
        case malformed
    }

    /// What a `Repr-Digest` field promises about the body.
    public static func expectation(inField field: String?) -> Expectation {
        guard let value = sha256Member(of: field) else { return .none }
        // A structured-field byte sequence: base64 between colons.
        guard value.count > 2, value.hasPrefix(":"), value.hasSuffix(":"),
            let bytes = Data(base64Encoded: String(value.dropFirst().dropLast())), bytes.count == 32
        else { return .malformed }
        return .sha256(Array(bytes))
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &digest)
        return digest
    }
}
