import BreachHash
import BreachIndex
import TestSupport
import Testing

@Suite struct RangeBodyParserTests {
    let parser = RangeBodyParser(kind: .sha1)
    static let first = "0018A45C4D1DEF81644B54AB7F969B88D65:10"
    static let second = "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2"

    func parse(_ text: String, prefix: Int = 0x21BD1) throws -> (entries: [HashCount], padding: Int) {
        var entries: [HashCount] = []
        let padding = try Array(text.utf8).withUnsafeBytes { try parser.parse($0, prefix: prefix, into: &entries) }
        return (entries, padding)
    }

    func refusal(_ text: String) -> RangeBodyError? {
        do { _ = try parse(text) } catch let error as RangeBodyError { return error } catch { Issue.record(error) }
        return nil
    }

    @Test func aValidBodyGivesEveryHashWithItsPrefixAndCount() throws {
        let (entries, padding) = try parse(Self.first + "\r\n" + Self.second)
        #expect(padding == 0)
        #expect(entries.map(\.count) == [10, 2])
        #expect(
            entries.map { Hex.string($0.digest, kind: .sha1) } == [
                "21BD10018A45C4D1DEF81644B54AB7F969B88D65", "21BD100D4F6E8FA6EECAD2A3AA415EEC418D38EC",
            ])
    }

    @Test func paddingRowsAreDroppedAndCounted() throws {
        let (entries, padding) = try parse(
            Self.first + "\r\n0099999999999999999999999999999999A:0\r\n" + "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2")
        #expect(entries.count == 2)
        #expect(padding == 1)
    }

    /// The public API's padded shape: the real rows sorted, then count-0 rows in any order
    /// (finding 6). The captured answer for 5BAA6, with padding appended that way.
    @Test func paddingAfterTheRealRowsInAnyOrderIsAccepted() throws {
        let captured = String(
            decoding: try rangeResponseBody(repositoryRoot + "/data/hibp-range/sha1/5BAA6.txt"), as: UTF8.self)
        var generator = SystemRandomNumberGenerator()
        let padding = (0..<300).map { _ in
            String((0..<35).map { _ in "0123456789ABCDEF".randomElement(using: &generator)! }) + ":0"
        }
        #expect(padding != padding.sorted())
        let body = captured + "\r\n" + padding.joined(separator: "\r\n")
        var entries: [HashCount] = []
        let dropped = try Array(body.utf8).withUnsafeBytes { try parser.parse($0, prefix: 0x5BAA6, into: &entries) }
        #expect(dropped == 300)
        #expect(entries.count == captured.split(separator: "\r\n").count)
        #expect(
            entries.contains(
                HashCount(
                    digest: try #require(Hex.digest("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", kind: .sha1)),
                    count: 3_861_493)))
    }

    @Test func realRowsOutOfOrderAreRefusedAmongPadding() {
        #expect(
            refusal(Self.second + "\r\n0099999999999999999999999999999999A:0\r\n" + Self.first)?.description
                == "line 3: suffixes out of ascending order")
    }

    @Test func anEmptyBodyIsAnEmptyRange() throws {
        #expect(try parse("").entries.isEmpty)
    }

    @Test func aLineEndingInLFAloneIsRefusedWithItsLine() {
        #expect(refusal(Self.first + "\n" + Self.second)?.description == "line 1: a line ends in LF without CR")
    }

    @Test func suffixesOutOfOrderAreRefused() {
        #expect(refusal(Self.second + "\r\n" + Self.first)?.description == "line 2: suffixes out of ascending order")
    }

    @Test func aDuplicateSuffixIsRefused() {
        #expect(refusal(Self.first + "\r\n" + Self.first)?.description == "line 2: a duplicate suffix")
    }

    @Test func aSuffixOfTheWrongLengthIsRefused() {
        #expect(
            refusal("0018A45C4D1DEF81644B54AB7F969B88D6:10")?.description == "line 1: expected 35 hex digits before ':'"
        )
    }

    @Test func aCountThatIsNotDecimalIsRefused() {
        #expect(
            refusal(Self.first + "\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2x")?.description
                == "line 2: expected a decimal count after ':'")
    }

    @Test func anEmptyLineIsRefused() {
        #expect(refusal(Self.first + "\r\n\r\n" + Self.second)?.description == "line 2: an empty line")
    }

    @Test func ntlmSuffixesHave27Digits() throws {
        var entries: [HashCount] = []
        let body = Array("0000C4E5A1F1B1C1D1E1F1A1B1C:3".utf8)
        _ = try body.withUnsafeBytes { try RangeBodyParser(kind: .ntlm).parse($0, prefix: 0xABCDE, into: &entries) }
        #expect(entries.map { Hex.string($0.digest, kind: .ntlm) } == ["ABCDE0000C4E5A1F1B1C1D1E1F1A1B1C"])
    }
}
