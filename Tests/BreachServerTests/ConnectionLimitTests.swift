import BreachSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import BreachServer

/// Issue 20, finding 4: a cap on open connections, in all and per client address. A
/// connection over a cap is closed at once, unanswered, on the hot path (`/range`) as on
/// the router's (`/healthz`).
@Suite struct ConnectionLimitTests {
    /// A route the hot-route handler answers, and one the router does.
    static let paths = ["/range/5BAA6", "/healthz"]

    /// The test framework's own client holds one connection, from loopback's 127.0.0.1 or
    /// ::1: asking it something first makes sure it is counted before the test's own, which
    /// come from other loopback addresses.
    func countTheTestClient(_ client: some TestClientProtocol) async throws {
        #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
    }

    @Test(arguments: paths)
    func theConnectionOverTheCapIsClosedUnansweredAndAClosedOneMakesRoom(_ path: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(connectionLimits: .init(total: 3, perAddress: nil)).test(.live) { client in
            try await countTheTestClient(client)
            let port = try #require(client.port)
            let first = try RawClient(port: port, source: "127.0.0.2")
            let second = try RawClient(port: port, source: "127.0.0.3")
            #expect(await first.get(path) == "HTTP/1.1 200 OK")
            #expect(await second.get(path) == "HTTP/1.1 200 OK")
            #expect(try await RawClient(port: port, source: "127.0.0.4").get(path) == nil)
            #expect(await first.get(path) == "HTTP/1.1 200 OK", "the open connections are still served")
            first.close()
            #expect(try await servedOnceThereIsRoom(port: port, source: "127.0.0.4", path: path))
        }
    }

    @Test(arguments: paths)
    func thePerAddressCapLeavesOtherAddressesAlone(_ path: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application(connectionLimits: .init(total: nil, perAddress: 2)).test(.live) { client in
            try await countTheTestClient(client)
            let port = try #require(client.port)
            let held = [try RawClient(port: port, source: "127.0.0.2"), try RawClient(port: port, source: "127.0.0.2")]
            for connection in held { #expect(await connection.get(path) == "HTTP/1.1 200 OK") }
            #expect(try await RawClient(port: port, source: "127.0.0.2").get(path) == nil)
            let other = try RawClient(port: port, source: "127.0.0.3")
            #expect(await other.get(path) == "HTTP/1.1 200 OK")
            held[0].close()
            #expect(try await servedOnceThereIsRoom(port: port, source: "127.0.0.2", path: path))
        }
    }

    /// Behind a proxy every client arrives from the proxy's address: capping that would cap
    /// the whole site. The total cap still applies.
    @Test func connectionsFromATrustedProxyAreNotCappedPerAddress() async throws {
        let fixture = try ServerFixture()
        let proxies = try TrustedProxies(parsing: "127.0.0.2")
        try await fixture.application(trustedProxies: proxies, connectionLimits: .init(total: 5, perAddress: 1)).test(
            .live
        ) {
            client in
            try await countTheTestClient(client)
            let port = try #require(client.port)
            let fromProxy = try (0..<3).map { _ in try RawClient(port: port, source: "127.0.0.2") }
            for connection in fromProxy { #expect(await connection.get("/healthz") == "HTTP/1.1 200 OK") }
            let direct = try RawClient(port: port, source: "127.0.0.3")
            #expect(await direct.get("/healthz") == "HTTP/1.1 200 OK")
            #expect(try await RawClient(port: port, source: "127.0.0.4").get("/healthz") == nil, "the total cap")
        }
    }

    @Test func anIPv6ClientIsCountedByItsSlash64AsTheRateLimitCountsIt() throws {
        let limiter = ConnectionLimiter(
            limits: .init(total: nil, perAddress: 1), trustedProxies: .none, logger: Logger(label: "test"))
        func key(_ address: String) throws -> ClientAddress? {
            limiter.addressKey(of: try SocketAddress(ipAddress: address, port: 443))
        }
        #expect(try key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::7"))
        #expect(try key("2001:db8:1:2::1") != key("2001:db8:1:3::1"))
        #expect(try key("192.0.2.1") != key("192.0.2.2"))
        #expect(limiter.addressKey(of: try SocketAddress(unixDomainSocketPath: "/tmp/s")) == nil)
        #expect(limiter.admit(try key("2001:db8:1:2::1")) == nil)
        #expect(limiter.admit(try key("2001:db8:1:2::2")) == .perAddress)
        #expect(limiter.admit(try key("2001:db8:1:3::1")) == nil)
    }

    @Test func aReleasedConnectionMakesRoomAndIsForgotten() {
        let limiter = ConnectionLimiter(
            limits: .init(total: 2, perAddress: 1), trustedProxies: .none, logger: Logger(label: "test"))
        let client = ClientAddress(ipv4: 0xC000_0201)
        #expect(limiter.admit(client) == nil)
        #expect(limiter.admit(client) == .perAddress)
        #expect(limiter.admit(nil) == nil)
        #expect(limiter.admit(nil) == .total)
        limiter.release(client)
        #expect(limiter.openConnections() == 1 && limiter.openConnections(from: client) == 0)
        #expect(limiter.admit(client) == nil)
    }

    @Test func theDefaultsKeepAReserveOfDescriptorsAndGiveOneAddressASixteenth() {
        #expect(ConnectionLimits.derived(fromOpenFileLimit: 1024) == .init(total: 922, perAddress: 57))
        #expect(ConnectionLimits.derived(fromOpenFileLimit: 524_288) == .init(total: 471_860, perAddress: 29_491))
        // A tiny limit still leaves one address room for a browser's connections.
        #expect(ConnectionLimits.derived(fromOpenFileLimit: 256) == .init(total: 192, perAddress: 32))
    }

    /// Whether a new connection is served once the server has seen a closed one go: the
    /// close reaches it asynchronously, so a connection made at once may still be refused.
    func servedOnceThereIsRoom(port: Int, source: String, path: String) async throws -> Bool {
        for _ in 0..<300 {
            if try await RawClient(port: port, source: source).get(path) != nil { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

/// A client connection on a blocking socket over IPv4 loopback, from `source` (any
/// 127.0.0.0/8 address) when given; reads give up after 10 seconds.
final class RawClient: @unchecked Sendable {
    private var descriptor: Int32

    init(port: Int, source: String? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = Self.address(source, port: 0)
            try Self.check(withUnsafePointer(to: &local) { bind(descriptor, $0.sockaddr, Self.length) })
        }
        var remote = Self.address("127.0.0.1", port: port)
        try Self.check(withUnsafePointer(to: &remote) { connect(descriptor, $0.sockaddr, Self.length) })
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends `GET path` and reads the answer whole, on a thread of NIO's pool (a blocking
    /// read on the concurrency pool's few threads would starve the router's tasks); returns
    /// its status line, or `nil` when the server closed the connection without answering.
    func get(_ path: String) async -> String? {
        do {
            return try await NIOThreadPool.singleton.runIfActive { self.blockingGet(path) }
        } catch {
            return "no thread for the client: \(error)"
        }
    }

    private func blockingGet(_ path: String) -> String? {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound]
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= text.utf8.distance(from: text.startIndex, to: end.upperBound) + length {
                    return head.components(separatedBy: "\r\n")[0]
                }
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return count < 0 && errno == EAGAIN ? "no answer within 10 s" : nil }
            received += buffer[..<count]
        }
    }

    private static let length = socklen_t(MemoryLayout<sockaddr_in>.size)

    private static func address(_ text: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, text, &address.sin_addr)
        return address
    }

    private static func check(_ result: Int32) throws {
        if result != 0 { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }
}

extension UnsafePointer<sockaddr_in> {
    fileprivate var sockaddr: UnsafePointer<Glibc.sockaddr> {
        UnsafeRawPointer(self).assumingMemoryBound(to: Glibc.sockaddr.self)
    }
}
