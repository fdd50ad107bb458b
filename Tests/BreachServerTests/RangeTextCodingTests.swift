import NIOCore
import Testing

@testable import BreachDownload
@testable import BreachServer

/// The hand-written gzip writer of range text, checked against zlib's decoder.
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

    static func gzip(_ text: [UInt8]) -> [UInt8]? {
        encoded(text, bound: RangeDeflate.maximumGzipSize(of:), RangeDeflate.gzip(_:into:))
    }

    /// Texts of many lengths, from one byte (a partial byte of codes) to a mebibyte.
    @Test(arguments: [1, 2, 5, 6, 7, 8, 9, 17, 130, 2113, 22594, 65535, 65536, 65537, 1 << 20])
    func rangeGzipInflatesAtManyLengths(_ length: Int) throws {
        var random = SystemRandomNumberGenerator()
        let rows = ContentCodingTests.rangeText(rows: length / 40 + 1, digits: 35, using: &random)
        let text = Array(rows.prefix(length))
        let gzip = try #require(Self.gzip(text))
        #expect(try ContentDecoding.decode(gzip, coding: "gzip", limit: 2 << 20) == text)
    }

    /// A byte the code has no word for is caught wherever it falls: in an eight-byte step
    /// (each of its places, 0–23) or in the seven bytes after the last whole step (24–30);
    /// the text then goes to zlib, and still comes out whole.
    @Test(arguments: Array(0..<31))
    func aByteOutsideRangeTextIsRefusedAtEveryPlace(_ place: Int) throws {
        var random = SystemRandomNumberGenerator()
        var text = Array(ContentCodingTests.rangeText(rows: 1, digits: 35, using: &random).prefix(19))
        text += Array(repeating: UInt8(ascii: "7"), count: 31 - text.count)
        text[place] = UInt8(ascii: "a")
        #expect(Self.gzip(text) == nil)
        let encoded = try #require(ContentCoding.gzip(ByteBuffer(bytes: text)))
        #expect(try ContentDecoding.decode(Array(encoded.readableBytesView), coding: "gzip", limit: 1 << 20) == text)
    }
}
