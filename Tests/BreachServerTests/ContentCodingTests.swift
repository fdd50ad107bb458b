import NIOCore
import Testing

@testable import BreachDownload
@testable import BreachServer

@Suite struct ContentCodingTests {
    @Test(
        arguments: [
            (nil, ContentCoding.identity),
            ("identity", .identity),
            ("gzip", .gzip),
            ("GZIP", .gzip),
            ("gzip, deflate, br", .br),
            ("br;q=0.2, gzip;q=0.8", .gzip),
            ("gzip;q=0.8, br", .br),
            ("gzip;q=0.5, br;q=0.5", .br),
            ("gzip, br;q=0.9", .gzip),
            ("br;q=0, gzip", .gzip),
            ("gzip ; q=0.0", .identity),
            ("*", .br),
            ("*;q=0.5, br;q=0", .gzip),
            ("deflate", .identity),
        ] as [(String?, ContentCoding)])
    func theCodingFollowsAcceptEncoding(_ header: String?, _ expected: ContentCoding) {
        #expect(ContentCoding.preferred(by: header) == expected)
    }

    @Test func gzipCompressesRangeText() throws {
        let body = ByteBuffer(string: String(repeating: "1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n", count: 100))
        let encoded = try #require(ContentCoding.gzip(body))
        #expect(Array(encoded.readableBytesView.prefix(2)) == [0x1F, 0x8B])
        #expect(encoded.readableBytes < body.readableBytes * 6 / 10)
        let decoded = try ContentDecoding.decode(Array(encoded.readableBytesView), coding: "gzip", limit: 1 << 20)
        #expect(decoded == Array(body.readableBytesView))
    }

    /// Random range text: `rows` lines of `digits` hex digits and a count, a quarter of them
    /// padding rows (count 0), as SHA-1 (35 digits) and NTLM (27) answers have them.
    static func rangeText(rows: Int, digits: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = []
        for _ in 0..<rows {
            for _ in 0..<digits { text.append(hex[Int.random(in: 0..<16, using: &random)]) }
            let count = Int.random(in: 0..<4, using: &random) == 0 ? 0 : Int.random(in: 1...50_000_000, using: &random)
            text += Array(":\(count)\r\n".utf8)
        }
        return text
    }

    /// The hand-written gzip inflates back to the text with zlib's decoder (CRC and length
    /// checked), for answers of every size up to a thousand rows and past the real density.
    @Test(arguments: [35, 27])
    func rangeGzipInflatesToTheTextAtEverySize(_ digits: Int) throws {
        var random = SystemRandomNumberGenerator()
        for rows in Array(0...1000) + [1907, 4000] {
            let text = Self.rangeText(rows: rows, digits: digits, using: &random)
            var output = [UInt8](repeating: 0, count: RangeDeflate.maximumGzipSize(of: text.count))
            let size = try #require(
                text.withUnsafeBytes { text in output.withUnsafeMutableBytes { RangeDeflate.gzip(text, into: $0) } })
            let inflated = try ContentDecoding.decode(Array(output[..<size]), coding: "gzip", limit: 1 << 20)
            try #require(inflated == text, "\(rows) rows")
            // As small as zlib's own Huffman code for the answer makes it (≈53 %).
            if rows >= 100 { #expect(Double(size) < Double(text.count) * 0.55) }
        }
    }

    /// Text that is not range text is left to zlib, and still comes out whole.
    @Test func gzipOfOtherTextIsZlibs() throws {
        let text = Array("not range text: lower case and spaces\n".utf8)
        var output = [UInt8](repeating: 0, count: RangeDeflate.maximumGzipSize(of: text.count))
        #expect(
            text.withUnsafeBytes { text in output.withUnsafeMutableBytes { RangeDeflate.gzip(text, into: $0) } } == nil)
        let encoded = try #require(ContentCoding.gzip(ByteBuffer(bytes: text)))
        #expect(try ContentDecoding.decode(Array(encoded.readableBytesView), coding: "gzip", limit: 1 << 20) == text)
    }
}
