import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// The request context of the daemon: Hummingbird's basics plus the client's address,
/// which rate limiting is keyed on.
public struct BreachRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Limits each client address to `rate` requests a second with bursts of `burst`
/// (a token bucket per address), answering 429 with `Retry-After` beyond it.
final class RateLimitMiddleware: RouterMiddleware, Sendable {
    typealias Context = BreachRequestContext

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    /// Addresses remembered at most; past it, idle entries are forgotten first.
    static let trackedClients = 100_000
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        let wait = take(for: client, now: .now)
        guard wait == nil else {
            var error = APIError(status: .tooManyRequests, code: "rate_limited", message: "too many requests from this address; retry later")
            error.headers = [.retryAfter: "\(Int(wait!.rounded(.up)))"]
            throw error
        }
        return try await next(request, context)
    }

    /// Takes a token for `client`; returns `nil` when allowed, else the seconds to wait.
    func take(for client: String, now: ContinuousClock.Instant) -> Double? {
        buckets.withLock { buckets in
            if buckets.count >= Self.trackedClients, buckets[client] == nil {
                // Full buckets are idle clients: forgetting them changes nothing.
                buckets = buckets.filter { refill($0.value, now: now).tokens < burst }
            }
            var bucket = refill(buckets[client] ?? Bucket(tokens: burst, updated: now), now: now)
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return max(1, (1 - bucket.tokens) / rate) }
            bucket.tokens -= 1
            return nil
        }
    }

    private func refill(_ bucket: Bucket, now: ContinuousClock.Instant) -> Bucket {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Bucket(tokens: min(burst, bucket.tokens + seconds * rate), updated: now)
    }
}
