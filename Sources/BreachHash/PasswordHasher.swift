import CLibCrypto

/// Hashes passwords the way Pwned Passwords does.
///
/// Uses OpenSSL's low-level `SHA1_*` and `MD4_*` calls on a context on the stack:
/// OpenSSL 3's one-shot `SHA1()` fetches an EVP provider on each call, which costs more
/// than the hash of a short password (docs/benchmarks.md has the hash's own cost), and
/// swift-crypto offers no MD4 for NTLM.
public enum PasswordHasher {
    /// SHA-1 of the password's bytes, exactly as given.
    @inlinable public static func sha1(_ password: UnsafeRawBufferPointer) -> HashDigest {
        var context = SHA_CTX()
        var digest: (UInt64, UInt64, UInt32) = (0, 0, 0)
        SHA1_Init(&context)
        SHA1_Update(&context, password.baseAddress, password.count)
        withUnsafeMutableBytes(of: &digest) { out in
            _ = SHA1_Final(out.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
        }
        return HashDigest(
            high: UInt64(bigEndian: digest.0), middle: UInt64(bigEndian: digest.1), low: UInt32(bigEndian: digest.2))
    }

    /// NTLM: MD4 of the password as UTF-16LE. Bytes that are not valid UTF-8 are taken
    /// as Latin-1 (one code unit each), the usual reading of legacy Windows passwords.
    public static func ntlm(_ password: UnsafeRawBufferPointer) -> HashDigest {
        var units: [UInt16]
        if let text = String(validating: password, as: UTF8.self) {
            units = Array(text.utf16)
        } else {
            units = password.map { UInt16($0) }
        }
        for i in units.indices { units[i] = units[i].littleEndian }
        var context = MD4_CTX()
        var digest: (UInt64, UInt64) = (0, 0)
        MD4_Init(&context)
        units.withUnsafeBytes { _ = MD4_Update(&context, $0.baseAddress, $0.count) }
        withUnsafeMutableBytes(of: &digest) { out in
            _ = MD4_Final(out.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
        }
        return HashDigest(high: UInt64(bigEndian: digest.0), middle: UInt64(bigEndian: digest.1), low: 0)
    }

    /// The digest of `password` for `kind`.
    public static func hash(_ password: UnsafeRawBufferPointer, kind: HashKind) -> HashDigest {
        kind == .sha1 ? sha1(password) : ntlm(password)
    }

    public static func hash(_ password: String, kind: HashKind) -> HashDigest {
        var password = password
        return password.withUTF8 { hash(UnsafeRawBufferPointer($0), kind: kind) }
    }
}
