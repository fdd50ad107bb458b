import NIOCore
import Testing

@testable import BreachDownload
@testable import BreachServer

/// The hand-written gzip and brotli writers of range text, checked against zlib's and
/// libbrotlidec's decoders.
@Suite struct RangeTextCodingTests {
    /// `text` through a writer into a buffer of `bound(text.count)` bytes: the stream, or `nil`.
    static func encoded(
        _ text: [UInt8], bound: (Int) -> Int,
        _ write: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> Int?
    ) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: bound(text.count))
        let size = text.withUnsafeBytes { text in output.withUnsafeMutableBytes { write(text, $0) } }
        return size.map { Array(output[..<$0]) }
    }

    static func brotli(_ text: [UInt8]) -> [UInt8]? {
        encoded(text, bound: RangeBrotli.maximumSize(of:), RangeBrotli.brotli(_:into:))
    }

    static func gzip(_ text: [UInt8]) -> [UInt8]? {
        encoded(text, bound: RangeDeflate.maximumGzipSize(of:), RangeDeflate.gzip(_:into:))
    }

    /// The brotli writer's output decodes to the text, for answers of every size up to a
    /// thousand rows (padding rows included) and past the real density, SHA-1 and NTLM.
    @Test(arguments: [35, 27])
    func rangeBrotliDecodesToTheTextAtEverySize(_ digits: Int) throws {
        var random = SystemRandomNumberGenerator()
        for rows in Array(0...1000) + [1907, 4000] {
            let text = ContentCodingTests.rangeText(rows: rows, digits: digits, using: &random)
            let stream = try #require(Self.brotli(text))
            try #require(try ContentDecoding.decode(stream, coding: "br", limit: 1 << 20) == text, "\(rows) rows")
            // Within a point of the gzip writer's size (its code gives C four bits, not five).
            if rows >= 100 { #expect(Double(stream.count) < Double(text.count) * 0.55) }
        }
    }

    /// Lengths where the stream's fields change shape: the nibbles of the meta-block length
    /// (4 up to 65,536 bytes, then 5, then 6) and the insert length codes' ranges, up to the
    /// last code (22,594 bytes on).
    @Test(arguments: [
        1, 2, 5, 6, 7, 8, 9, 17, 130, 193, 194, 2113, 2114, 6209, 6210, 22593, 22594, 22595,
        65535, 65536, 65537, 1 << 20, (1 << 20) + 1,
    ])
    func rangeBrotliDecodesAtEveryFieldBoundary(_ length: Int) throws {
        var random = SystemRandomNumberGenerator()
        let rows = ContentCodingTests.rangeText(rows: length / 40 + 1, digits: 35, using: &random)
        let text = Array(rows.prefix(length))
        let stream = try #require(Self.brotli(text))
        #expect(try ContentDecoding.decode(stream, coding: "br", limit: 2 << 20) == text)
        let gzip = try #require(Self.gzip(text))
        #expect(try ContentDecoding.decode(gzip, coding: "gzip", limit: 2 << 20) == text)
    }

    @Test func anEmptyTextIsAnEmptyBrotliStream() throws {
        let stream = try #require(Self.brotli([]))
        #expect(try ContentDecoding.decode(stream, coding: "br", limit: 1 << 20) == [])
    }

    /// A byte the code has no word for is caught wherever it falls: in an eight-byte step
    /// (each of its places, 0–23) or in the seven bytes after the last whole step (24–30);
    /// the text then goes to the libraries, and still comes out whole.
    @Test(arguments: Array(0..<31))
    func aByteOutsideRangeTextIsRefusedAtEveryPlace(_ place: Int) throws {
        var random = SystemRandomNumberGenerator()
        var text = Array(ContentCodingTests.rangeText(rows: 1, digits: 35, using: &random).prefix(19))
        text += Array(repeating: UInt8(ascii: "7"), count: 31 - text.count)
        text[place] = UInt8(ascii: "a")
        #expect(Self.brotli(text) == nil)
        #expect(Self.gzip(text) == nil)
        for coding in [ContentCoding.gzip, .br] {
            let encoded = try #require(coding.encode(ByteBuffer(bytes: text)))
            let decoded = try ContentDecoding.decode(
                Array(encoded.readableBytesView), coding: coding.rawValue, limit: 1 << 20)
            #expect(decoded == text)
        }
    }
}
