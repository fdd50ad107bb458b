#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The address a request comes from, as the rate limiter counts clients.
public struct ClientAddress: Hashable, Sendable {
    /// The address in IPv6 form; IPv4 as mapped (`::ffff:a.b.c.d`), so that one network
    /// type covers both and a dual-stack listener's mapped peers match IPv4 networks.
    public let bits: UInt128

    /// Unix-socket peers and peers a proxy named with something not an address.
    public static let unknown = ClientAddress(bits: .max)

    private static let mappedIPv4: UInt128 = 0xFFFF << 32

    public init(bits: UInt128) { self.bits = bits }

    /// An address as proxies write it in `X-Forwarded-For`: `192.0.2.7`, `2001:db8::7`,
    /// and, from some load balancers, with a port (`192.0.2.7:5123`, `[2001:db8::7]:5123`).
    public init?(parsing text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber) {
            text = text[..<colon]  // only IPv4 has a single colon
        }
        var ipv4 = in_addr(), ipv6 = in6_addr()
        let address = String(text)
        if inet_pton(AF_INET, address, &ipv4) == 1 {
            self.init(ipv4: UInt32(bigEndian: ipv4.s_addr))
        } else if inet_pton(AF_INET6, address, &ipv6) == 1 {
            self.init(bits: withUnsafeBytes(of: ipv6) { $0.reduce(0) { $0 << 8 | UInt128($1) } })
        } else {
            return nil
        }
    }

    /// An IPv4 address (in host byte order), kept in its IPv6-mapped form.
    public init(ipv4: UInt32) { self.init(bits: Self.mappedIPv4 | UInt128(ipv4)) }

    /// Who a rate-limit bucket belongs to: an IPv4 address, or an IPv6 /64 — one
    /// subscriber's usual allocation, so that a client cannot shed its limit by changing
    /// the low half of its address.
    public var rateLimitKey: ClientAddress {
        bits >> 32 == Self.mappedIPv4 >> 32 || self == .unknown
            ? self : ClientAddress(bits: bits & ~UInt128(UInt64.max))
    }
}

extension ClientAddress: CustomStringConvertible {
    /// The address as people write it: `192.0.2.7` for IPv4 (mapped ones too), `2001:db8::7`.
    public var description: String {
        if self == .unknown { return "unknown" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if bits >> 32 == Self.mappedIPv4 >> 32 {
            var ipv4 = in_addr(s_addr: UInt32(truncatingIfNeeded: bits).bigEndian)
            inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count))
        } else {
            var ipv6 = in6_addr()
            withUnsafeMutableBytes(of: &ipv6) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: bits >> (8 * (15 - index))) }
            }
            inet_ntop(AF_INET6, &ipv6, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A network of addresses, `10.0.0.0/8` or `fd00::/8`; a bare address is a network of one.
struct AddressNetwork: Sendable, Equatable {
    /// The network's first address (the bits past `prefixLength` may be set: they are ignored).
    let base: ClientAddress
    /// Leading bits that must match, counted on the IPv6 form (IPv4's `/8` is 104).
    let prefixLength: Int

    init?(parsing text: Substring) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ClientAddress(parsing: parts[0]), !parts[0].contains("[") else { return nil }
        let isIPv4 = !parts[0].contains(":")
        let width = isIPv4 ? 32 : 128
        guard let length = parts.count == 2 ? Int(parts[1]) : width, (0...width).contains(length) else { return nil }
        base = address
        prefixLength = length + (128 - width)
    }

    func contains(_ address: ClientAddress) -> Bool {
        prefixLength == 0 || (address.bits ^ base.bits) >> (128 - prefixLength) == 0
    }
}

/// The proxies in front of the daemon (a load balancer, nginx) whose `X-Forwarded-For` is
/// believed. Without them, every client behind a proxy is the proxy's one address.
public struct TrustedProxies: Sendable, Equatable {
    let networks: [AddressNetwork]
    /// Trust whatever connects over the Unix socket (only a proxy should be able to).
    let unixSocketPeers: Bool

    /// Trusts no one: each connection's peer is the client.
    public static let none = TrustedProxies(networks: [], unixSocketPeers: false)

    private init(networks: [AddressNetwork], unixSocketPeers: Bool) {
        self.networks = networks
        self.unixSocketPeers = unixSocketPeers
    }

    /// Reads a comma-separated list of addresses, networks and `unix`:
    /// `"10.0.0.0/8, 2001:db8::/32, unix"`.
    public init(parsing list: String) throws(InvalidProxyList) {
        var networks: [AddressNetwork] = []
        var unixSocketPeers = false
        for entry in list.split(separator: ",").map({ $0.trimmingWhitespace() }) where !entry.isEmpty {
            if entry == "unix" {
                unixSocketPeers = true
            } else if let network = AddressNetwork(parsing: entry) {
                networks.append(network)
            } else {
                throw InvalidProxyList(entry: String(entry))
            }
        }
        self.init(networks: networks, unixSocketPeers: unixSocketPeers)
    }

    /// Whether no proxy is trusted (each connection's peer is the client).
    public var isEmpty: Bool { networks.isEmpty && !unixSocketPeers }

    /// The client behind a request: the peer, or, while the address at hand is a trusted
    /// proxy, the address before it in `X-Forwarded-For`. Each proxy appends the peer it
    /// saw, so only the entries right of the first untrusted one are facts; anything a
    /// client wrote itself lies further left and is never reached.
    /// `peer` is `nil` for a Unix-socket peer.
    public func client(peer: ClientAddress?, forwardedFor: [String]) -> ClientAddress {
        var current = peer
        guard !isEmpty, isTrusted(current) else { return current ?? .unknown }
        for header in forwardedFor.reversed() {
            for hop in header.split(separator: ",").reversed() {
                // Something not an address ("unknown", a name): stop at the proxy that wrote it.
                guard let address = ClientAddress(parsing: hop.trimmingWhitespace()) else { return current ?? .unknown }
                current = address
                if !isTrusted(address) { return address }
            }
        }
        return current ?? .unknown
    }

    /// Whether `address` is a trusted proxy (`nil`: a Unix-socket peer, trusted with `unix`).
    public func isTrusted(_ address: ClientAddress?) -> Bool {
        guard let address else { return unixSocketPeers }
        return networks.contains { $0.contains(address) }
    }
}

/// An entry of a trusted-proxy list that is neither an address, a network nor `unix`.
public struct InvalidProxyList: Error, CustomStringConvertible {
    public let entry: String
    public var description: String {
        "\"\(entry)\" is not an address, a network or unix (e.g. 10.0.0.0/8, 2001:db8::/32, ::1, unix)"
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var trimmed = self
        while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        return trimmed
    }
}
