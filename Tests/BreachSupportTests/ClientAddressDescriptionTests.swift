import BreachSupport
import Testing

/// How an address is written where people read it (the accounts' audit log).
@Suite struct ClientAddressDescriptionTests {
    @Test(
        "An address is written as people write it: IPv4 dotted (mapped ones too), IPv6 compressed",
        arguments: [
            ("192.0.2.7", "192.0.2.7"), ("::ffff:192.0.2.7", "192.0.2.7"), ("2001:db8::7", "2001:db8::7"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("::1", "::1"),
            ("[2001:db8::9]:443", "2001:db8::9"),
        ])
    func writtenAsPeopleWriteIt(written: String, expected: String) throws {
        #expect(try #require(ClientAddress(parsing: written)).description == expected)
    }

    @Test("A client without an address (a Unix-socket peer) is written as unknown")
    func unknown() {
        #expect(ClientAddress.unknown.description == "unknown")
    }
}
