/// A SHA-1 or NTLM digest, held as a 160-bit big-endian number so that comparing,
/// sorting and taking the range prefix are integer operations (no allocation).
/// A 16-byte NTLM digest fills the top 128 bits; the last word is then zero.
public struct HashDigest: Hashable, Comparable, Sendable {
    /// Bits of the k-anonymity range prefix (5 hex digits).
    public static let prefixBitCount = 20

    /// Bytes 0–7, 8–15 and 16–19 of the digest, big-endian.
    public var high: UInt64
    public var middle: UInt64
    public var low: UInt32

    public init(high: UInt64, middle: UInt64, low: UInt32) {
        self.high = high
        self.middle = middle
        self.low = low
    }

    /// The digest from its bytes (16 or 20 of them).
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) {
        var h: UInt64 = 0, m: UInt64 = 0, l: UInt32 = 0
        for (i, byte) in bytes.enumerated() {
            switch i {
            case 0..<8: h |= UInt64(byte) << (56 - 8 * i)
            case 8..<16: m |= UInt64(byte) << (56 - 8 * (i - 8))
            default: l |= UInt32(byte) << (24 - 8 * (i - 16))
            }
        }
        self.init(high: h, middle: m, low: l)
    }

    /// The 20-bit range prefix (`0x5BAA6` for SHA-1("password")).
    @inlinable public var prefix: Int { Int(truncatingIfNeeded: high >> 44) }

    /// `count` (≤ 64) bits starting `offset` bits from the most significant end.
    @inlinable public func bits(at offset: Int, count: Int) -> UInt64 {
        if count == 0 { return 0 }
        // Widen to a 192-bit window of three words so any ≤64-bit field is two shifts.
        let word = offset >> 6, shift = offset & 63
        let w0 = self.word(word), w1 = self.word(word + 1)
        let joined = shift == 0 ? w0 : (w0 << UInt64(shift)) | (w1 >> UInt64(64 - shift))
        return joined >> UInt64(64 - count)
    }

    @inlinable func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: high
        case 1: middle
        case 2: UInt64(low) << 32
        default: 0
        }
    }

    public static func < (a: HashDigest, b: HashDigest) -> Bool {
        (a.high, a.middle, a.low) < (b.high, b.middle, b.low)
    }
}
