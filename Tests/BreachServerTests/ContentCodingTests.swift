import Testing

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
}
