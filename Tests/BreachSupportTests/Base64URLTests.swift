import BreachSupport
import Testing

@Suite struct Base64URLTests {
    @Test("base64url uses - and _ for + and / and drops the padding (RFC 4648 §5)")
    func urlSafeAlphabetWithoutPadding() {
        #expect(base64URL([0xFB, 0xFF]) == "-_8")
        #expect(base64URL(Array("any carnal pleasure.".utf8)) == "YW55IGNhcm5hbCBwbGVhc3VyZS4")
    }
}
