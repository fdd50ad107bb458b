import BreachSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Limits each client to `rate` requests a second with bursts of `burst` (a token bucket
/// per IPv4 address or IPv6 /64); `RequestPolicy` answers 429 with `Retry-After` beyond it,
/// and resolves the client (behind trusted proxies, the one they name in `X-Forwarded-For`).
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    /// Clients remembered at most; past it, idle ones are forgotten first.
    let trackedClients: Int
    private let buckets = Mutex<[ClientAddress: Bucket]>([:])

    init(rate: Double, burst: Double, trackedClients: Int = 100_000) {
        self.rate = rate
        self.burst = burst
        self.trackedClients = trackedClients
    }

    /// Health checks and metrics scrapes come from the operator's own machinery, often
    /// every second from one address: limiting them would mark a healthy node down.
    static let exemptPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    /// Takes a token from `client`'s bucket (its ``ClientAddress/rateLimitKey``); returns
    /// `nil` when allowed, else the seconds to wait.
    func take(for client: ClientAddress, now: ContinuousClock.Instant) -> Double? {
        let client = client.rateLimitKey
        return buckets.withLock { buckets in
            if buckets.count >= trackedClients, buckets[client] == nil {
                // Full buckets are idle clients: forgetting them changes nothing. When few
                // are (a flood of addresses), forget all: a fresh burst for each beats
                // scanning the table again for every new address.
                buckets = buckets.filter { refill($0.value, now: now).tokens < burst }
                if buckets.count >= trackedClients * 9 / 10 { buckets.removeAll(keepingCapacity: true) }
            }
            var bucket = refill(buckets[client] ?? Bucket(tokens: burst, updated: now), now: now)
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return max(1, (1 - bucket.tokens) / rate) }
            bucket.tokens -= 1
            return nil
        }
    }

    private func refill(_ bucket: Bucket, now: ContinuousClock.Instant) -> Bucket {
        Bucket(tokens: min(burst, bucket.tokens + (now - bucket.updated).timeInterval * rate), updated: now)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
