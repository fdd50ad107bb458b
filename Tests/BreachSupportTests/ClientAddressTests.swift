import Testing

@testable import BreachSupport

/// Who the rate limiter counts a request against: the peer, or behind trusted proxies the
/// client they name in `X-Forwarded-For`.
@Suite struct TrustedProxiesTests {
    let loadBalancer = ClientAddress(parsing: "10.0.0.1")!
    let trusted = try! TrustedProxies(parsing: "10.0.0.0/8, 2001:db8:ffff::/48, unix")

    func address(_ text: String) -> ClientAddress { ClientAddress(parsing: text)! }

    @Test func withoutTrustedProxiesThePeerIsTheClient() {
        #expect(TrustedProxies.none.client(peer: loadBalancer, forwardedFor: ["203.0.113.9"]) == address("10.0.0.1"))
    }

    @Test func behindATrustedProxyTheClientIsTheAddressItForwarded() {
        #expect(trusted.client(peer: loadBalancer, forwardedFor: ["203.0.113.9"]) == address("203.0.113.9"))
    }

    @Test func anAddressTheClientWroteItselfIsNeverBelieved() {
        // The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended what it saw.
        #expect(
            trusted.client(peer: loadBalancer, forwardedFor: ["198.51.100.1, 203.0.113.9"]) == address("203.0.113.9"))
    }

    @Test func aChainOfTrustedProxiesIsWalkedAcrossHeaderLines() {
        let client = trusted.client(peer: loadBalancer, forwardedFor: ["203.0.113.9, 10.1.1.1", "2001:db8:ffff::5"])
        #expect(client == address("203.0.113.9"))
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() throws {
        let peer = address("198.51.100.1")
        #expect(trusted.client(peer: peer, forwardedFor: ["203.0.113.9"]) == address("198.51.100.1"))
    }

    @Test func aDualStackListenersMappedPeerMatchesAnIPv4Network() throws {
        let peer = address("::ffff:10.0.0.1")
        #expect(trusted.client(peer: peer, forwardedFor: ["203.0.113.9"]) == address("203.0.113.9"))
    }

    @Test func unixSocketPeersAreTrustedOnlyWhenListed() throws {
        #expect(trusted.client(peer: nil, forwardedFor: ["203.0.113.9"]) == address("203.0.113.9"))
        let addressesOnly = try TrustedProxies(parsing: "10.0.0.0/8")
        #expect(addressesOnly.client(peer: nil, forwardedFor: ["203.0.113.9"]) == .unknown)
    }

    @Test func somethingNotAnAddressStopsAtTheProxyThatWroteIt() {
        #expect(trusted.client(peer: loadBalancer, forwardedFor: ["unknown"]) == address("10.0.0.1"))
        #expect(trusted.client(peer: loadBalancer, forwardedFor: []) == address("10.0.0.1"))
    }

    @Test(arguments: [
        ("192.0.2.7:5123", "192.0.2.7"), ("[2001:db8::7]:5123", "2001:db8::7"), (" 192.0.2.7 ", "192.0.2.7"),
    ])
    func forwardedAddressesMayCarryAPortOrSpaces(_ forwarded: String, _ client: String) {
        #expect(trusted.client(peer: loadBalancer, forwardedFor: [forwarded]) == address(client))
    }

    @Test func anIPv6ClientIsCountedByItsSlash64() {
        #expect(address("2001:db8:1:2::1").rateLimitKey == address("2001:db8:1:2:ffff::9").rateLimitKey)
        #expect(address("2001:db8:1:2::1").rateLimitKey != address("2001:db8:1:3::1").rateLimitKey)
        #expect(address("192.0.2.7").rateLimitKey != address("192.0.2.8").rateLimitKey)
    }

    @Test(arguments: ["10.0.0.0/33", "proxy.example.com", "[::1]", "10.0.0.0/", "::/129", "10.0.0"])
    func aListEntryThatIsNotAnAddressOrNetworkIsRefusedByName(_ entry: String) {
        let error = #expect(throws: InvalidProxyList.self) { try TrustedProxies(parsing: "127.0.0.1, \(entry)") }
        #expect(error?.entry == entry.trimmingCharacters(in: .whitespaces))
    }

    @Test func networksMatchOnTheirPrefixOnly() throws {
        let network = try #require(AddressNetwork(parsing: "192.168.16.0/20"))
        #expect(network.contains(address("192.168.31.255")))
        #expect(!network.contains(address("192.168.32.0")))
        #expect(try #require(AddressNetwork(parsing: "0.0.0.0/0")).contains(address("203.0.113.9")))
        #expect(!(try #require(AddressNetwork(parsing: "0.0.0.0/0")).contains(address("2001:db8::1"))))
        #expect(try #require(AddressNetwork(parsing: "::/0")).contains(address("2001:db8::1")))
    }
}
