@testable import BreachServer
import NIOCore
import Testing

@Suite struct ContentCodingTests {
    @Test(arguments: [
        (nil, ContentCoding.identity),
        ("identity", .identity),
        ("gzip", .gzip),
        ("GZIP", .gzip),
        ("gzip, deflate, br", .br),
        ("br;q=0.2, gzip;q=0.8", .gzip),
        ("gzip;q=0.5, br;q=0.5", .br),
        ("br;q=0, gzip", .gzip),
        ("gzip ; q=0.0", .identity),
        ("*", .br),
        ("*;q=0.5, br;q=0", .gzip),
        ("deflate", .identity),
    ] as [(String?, ContentCoding)])
    func theCodingFollowsAcceptEncoding(_ header: String?, _ expected: ContentCoding) {
        #expect(ContentCoding.preferred(by: header) == expected)
    }

    @Test func everyCompressedCodingEncodesTheBodyAndIdentityLeavesIt() {
        let body = ByteBuffer(string: String(repeating: "1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n", count: 100))
        #expect(ContentCoding.identity.encode(body) == nil)
        #expect(ContentCoding.gzip.encode(body).map { Array($0.readableBytesView.prefix(2)) } == [0x1F, 0x8B])
        #expect((ContentCoding.br.encode(body)?.readableBytes ?? .max) < body.readableBytes / 10)
    }
}
