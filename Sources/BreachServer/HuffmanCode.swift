import BreachIndex

/// Canonical Huffman codes as deflate (RFC 1951) and brotli (RFC 7932) define them, and the
/// writer that packs their words, both formats alike: least significant bit first, each
/// word from its most significant bit (RFC 1951 §3.1.1 and §3.2.2, RFC 7932 §3.2).
enum HuffmanCode {
    /// Canonical Huffman codes from bit lengths (RFC 1951 §3.2.2), each word bit-reversed,
    /// since the stream packs Huffman codes from their most significant bit (§3.1.1).
    static func words(lengths: [UInt8]) -> [(bits: UInt16, length: Int)] {
        let longest = Int(lengths.max() ?? 0)
        var countOfLength = [Int](repeating: 0, count: longest + 1)
        for length in lengths where length > 0 { countOfLength[Int(length)] += 1 }
        var next = [Int](repeating: 0, count: longest + 2)
        var code = 0
        for bits in 1...max(longest, 1) {
            code = (code + countOfLength[bits - 1]) << 1
            next[bits] = code
        }
        return lengths.map { length in
            guard length > 0 else { return (0, 0) }
            let word = next[Int(length)]
            next[Int(length)] += 1
            var reversed = 0
            for bit in 0..<Int(length) where word & (1 << bit) != 0 { reversed |= 1 << (Int(length) - 1 - bit) }
            return (UInt16(reversed), Int(length))
        }
    }
}

/// Bits into bytes, least significant first, eight bytes a store: the buffer it writes to
/// needs 8 bytes of room past the last byte written.
struct BitWriter {
    private let output: UnsafeMutableRawPointer
    private var offset: Int
    /// Bits not yet stored as whole bytes: fewer than 8 after each `flush`.
    private var buffer: UInt64 = 0
    private var count: UInt64 = 0

    init(output: UnsafeMutableRawPointer, at offset: Int) {
        self.output = output
        self.offset = offset
    }

    /// Adds `count` bits: at most 56 between flushes (with the 7 a flush may leave, 63).
    @inline(__always) mutating func add(_ bits: UInt64, count: UInt64) {
        buffer |= bits &<< self.count
        self.count &+= count
    }

    /// Adds fields of at most 56 bits each, such as a header's, flushing after each.
    mutating func add(_ fields: [(bits: UInt64, count: Int)]) {
        for field in fields {
            add(field.bits, count: UInt64(field.count))
            flush()
        }
    }

    /// Adds 64 bits, stored at once with those held before them.
    @inline(__always) mutating func addWord(_ bits: UInt64) {
        output.storeBytes(of: (buffer | bits &<< count).littleEndian, toByteOffset: offset, as: UInt64.self)
        offset &+= 8
        // The bits past the word stored, in two shifts: one by 64 - count would keep every bit
        // when none were held (Swift's `&>>` masks a shift by 64 to a shift by 0).
        buffer = (bits &>> 1) &>> (63 &- count)
    }

    /// Stores the bits held, 8 bytes at once (the partial byte and the zeros past it are
    /// written again by the next store), and keeps the partial byte's bits.
    @inline(__always) mutating func flush() {
        output.storeBytes(of: buffer.littleEndian, toByteOffset: offset, as: UInt64.self)
        offset &+= Int(truncatingIfNeeded: count &>> 3)
        buffer = buffer &>> (count & 56)
        count &= 7
    }

    /// Stores what is left, padded with zeros to a whole byte; returns the offset past it.
    mutating func finish() -> Int {
        flush()
        return offset + (count > 0 ? 1 : 0)
    }
}

/// The code of what follows a row's suffix for each count below 100 — `:` and its digits,
/// and whatever else a writer joins to them — tabled once, since most counts are small:
/// the row coders of both writers read one entry a row. (`@unchecked Sendable`: the table
/// is written once, in `init`, and only read after.)
struct CountEndings: @unchecked Sendable {
    /// An ending's words (first in the low bits) and their number of bits, and the count's digits.
    struct Ending {
        let bits: UInt32
        let length: UInt8
        let digits: UInt8
    }

    static let tabled = 0..<100
    private let endings: UnsafePointer<Ending>

    /// `code(count)`: the ending's words as (bits, count) pairs, at most 32 bits in all.
    init(_ code: (UInt64) -> [(bits: UInt64, count: UInt64)]) {
        let endings = UnsafeMutablePointer<Ending>.allocate(capacity: Self.tabled.count)
        for count in Self.tabled {
            let (bits, length) = code(UInt64(count)).reduce((UInt64(0), UInt64(0))) { joined, word in
                (joined.0 | word.bits << joined.1, joined.1 + word.count)
            }
            precondition(length <= 32, "an ending's words fit 32 bits")
            endings[count] = Ending(
                bits: UInt32(bits), length: UInt8(length), digits: UInt8(DecimalText.digitCount(UInt64(count))))
        }
        self.endings = UnsafePointer(endings)
    }

    /// Whether `count`'s ending is tabled: the callers' test before the subscript.
    @inline(__always) static func isTabled(_ count: UInt64) -> Bool { count < UInt64(tabled.upperBound) }

    /// The ending of `count` (one that ``isTabled(_:)``).
    @inline(__always) subscript(count: UInt64) -> Ending {
        assert(Self.isTabled(count), "an ending that is not tabled")
        return endings[Int(truncatingIfNeeded: count)]
    }
}
