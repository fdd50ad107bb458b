import BreachSupport
import NIOCore

extension ClientAddress {
    /// The address of a connection's peer; `nil` for a Unix-socket peer.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let ip):
            self.init(ipv4: UInt32(bigEndian: ip.address.sin_addr.s_addr))
        case .v6(let ip):
            self.init(bits: withUnsafeBytes(of: ip.address.sin6_addr) { $0.reduce(0) { $0 << 8 | UInt128($1) } })
        case .unixDomainSocket:
            return nil
        }
    }
}

extension TrustedProxies {
    /// The client behind a request that came from `peer` (`nil` or a Unix socket: no address).
    public func client(peer: SocketAddress?, forwardedFor: [String]) -> ClientAddress {
        client(peer: peer.flatMap(ClientAddress.init), forwardedFor: forwardedFor)
    }
}
