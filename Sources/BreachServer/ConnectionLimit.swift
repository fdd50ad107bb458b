import BreachSupport
import Foundation
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import Synchronization

/// How many connections the daemon holds open at once, in all and per client address.
public struct ConnectionLimits: Sendable, Equatable {
    /// Open connections at most; `nil`: no cap.
    public var total: Int?
    /// Open connections at most from one client address (an IPv4 address or an IPv6 /64, as
    /// the rate limit counts); `nil`: no cap. Connections over a Unix socket or from a
    /// trusted proxy are not counted per address: the proxy speaks for many clients.
    public var perAddress: Int?

    public init(total: Int?, perAddress: Int?) {
        self.total = total
        self.perAddress = perAddress
    }

    /// No cap at all.
    public static let none = ConnectionLimits(total: nil, perAddress: nil)

    /// The defaults for a process that may hold `openFiles` descriptors: every descriptor
    /// but a reserve (a tenth, at least 64: the index maps, the account store, logs, and
    /// the connection accepted only to be closed) for connections, and a sixteenth of those
    /// for one address, so that one client alone cannot take the node.
    public static func derived(fromOpenFileLimit openFiles: Int) -> ConnectionLimits {
        let total = max(1, openFiles - max(64, openFiles / 10))
        return ConnectionLimits(total: total, perAddress: perAddress(forTotal: total))
    }

    /// The default per-address cap under a total cap of `total`: a sixteenth of it, at least
    /// 32 (a browser opens 6 connections to a host, a replica's download 32), at most `total`.
    public static func perAddress(forTotal total: Int) -> Int { max(1, min(total, max(32, total / 16))) }

    /// The process's soft limit on open files (`RLIMIT_NOFILE`); 1,024 when it cannot be read.
    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: limit.rlim_cur)
    }
}

/// Counts the open connections, in all and per client address, and admits a new one only
/// below both caps. Shared by every event loop of a server.
final class ConnectionLimiter: Sendable {
    /// Why a connection was refused.
    enum Refusal: String, Error {
        case total
        case perAddress = "per_address"
    }

    private struct State {
        var open = 0
        var perAddress: [ClientAddress: Int] = [:]
        var refusedSinceWarning = 0
        var lastWarning: ContinuousClock.Instant?
    }

    let limits: ConnectionLimits
    let trustedProxies: TrustedProxies
    private let logger: Logger
    private let state = Mutex(State())

    /// `breachdb_connections_refused_total`, by reason: made once, not per refusal (a flood).
    private let refusals: [Refusal: Counter]

    init(limits: ConnectionLimits, trustedProxies: TrustedProxies, logger: Logger) {
        self.limits = limits
        self.trustedProxies = trustedProxies
        self.logger = logger
        refusals = Dictionary(
            uniqueKeysWithValues: [Refusal.total, .perAddress].map {
                (
                    $0,
                    Counter(
                        label: "breachdb_connections_refused_total", dimensions: [("reason", $0.rawValue)],
                        factory: ServerMetrics.factory)
                )
            })
    }

    /// What a connection from `peer` is counted under per address: `nil` when it is not
    /// (a Unix-socket peer, a trusted proxy, or no per-address cap).
    func addressKey(of peer: SocketAddress?) -> ClientAddress? {
        guard limits.perAddress != nil, let peer, let address = ClientAddress(peer),
            !trustedProxies.isTrusted(address)
        else { return nil }
        return address.rateLimitKey
    }

    /// Counts a connection from `peer` in, or refuses it when a cap is reached. An admitted
    /// connection must be `release`d with the same key once closed.
    func admit(_ key: ClientAddress?) -> Refusal? {
        let refusal: Refusal? = state.withLock { state in
            if let total = limits.total, state.open >= total { return .total }
            if let key, let cap = limits.perAddress, state.perAddress[key, default: 0] >= cap { return .perAddress }
            state.open += 1
            if let key { state.perAddress[key, default: 0] += 1 }
            return nil
        }
        if let refusal { refused(refusal) }
        return refusal
    }

    func release(_ key: ClientAddress?) {
        state.withLock { state in
            state.open -= 1
            if let key {
                let left = state.perAddress[key, default: 1] - 1
                state.perAddress[key] = left > 0 ? left : nil
            }
        }
    }

    /// Connections open now, in all and from `key`.
    func openConnections(from key: ClientAddress? = nil) -> Int {
        state.withLock { state in key.map { state.perAddress[$0, default: 0] } ?? state.open }
    }

    /// Counts the refusal and warns, at most once a minute: a flood must not flood the log.
    private func refused(_ refusal: Refusal) {
        refusals[refusal]?.increment()
        let now = ContinuousClock.now
        let count: Int? = state.withLock { state in
            state.refusedSinceWarning += 1
            if let last = state.lastWarning, now - last < .seconds(60) { return nil }
            state.lastWarning = now
            defer { state.refusedSinceWarning = 0 }
            return state.refusedSinceWarning
        }
        if let count {
            logger.warning(
                "refusing connections: a connection cap is reached",
                metadata: [
                    "cap": "\(refusal == .total ? "--max-connections" : "--max-connections-per-address")",
                    "maxConnections": "\(limits.total.map(String.init) ?? "none")",
                    "maxConnectionsPerAddress": "\(limits.perAddress.map(String.init) ?? "none")",
                    "refusedSinceLastWarning": "\(count)",
                ])
        }
    }
}

/// A child channel admitted by a `ConnectionLimiter` before anything else is set up: a
/// connection over a cap is closed at once, before TLS or HTTP cost anything, and its
/// client reads the end of the stream (the connection is accepted first: refusing it in
/// the kernel would mean not accepting at all, which leaves every client waiting in the
/// listen queue, the wanted ones too, until someone leaves).
struct ConnectionLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let limiter: ConnectionLimiter

    /// Thrown from `setup` for a refused connection, after closing it: NIO then drops the
    /// channel, and the server goes on accepting.
    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        let key = limiter.addressKey(of: channel.remoteAddress)
        if limiter.admit(key) != nil {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        }
        let limiter = limiter
        channel.closeFuture.whenComplete { _ in limiter.release(key) }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ServerChildChannel {
    /// This child channel behind `limiter`'s caps.
    func limitingConnections(_ limiter: ConnectionLimiter) -> any ServerChildChannel {
        ConnectionLimitedChannel(base: self, limiter: limiter)
    }
}
