/// The kinds of password hash an index can hold.
public enum HashKind: String, Sendable, CaseIterable, Codable {
    /// SHA-1 of the password's bytes, as Pwned Passwords publishes it.
    case sha1
    /// NTLM: MD4 of the password in UTF-16LE, as Pwned Passwords publishes with `?mode=ntlm`.
    case ntlm

    /// Bytes in a digest: 20 for SHA-1, 16 for NTLM.
    public var digestByteCount: Int { self == .sha1 ? 20 : 16 }
    /// Hex digits in a digest: 40 or 32.
    public var hexDigitCount: Int { digestByteCount * 2 }
    /// Bits after the 20-bit range prefix: 140 or 108.
    public var suffixBitCount: Int { digestByteCount * 8 - HashDigest.prefixBitCount }
    /// Hex digits in a range suffix: 35 or 27.
    public var suffixHexDigitCount: Int { hexDigitCount - 5 }
}
