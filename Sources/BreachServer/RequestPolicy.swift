import BreachSupport
import Dispatch
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The rules every request meets, written once and applied by both layers that answer:
/// the hot-route handler calls this value itself, the router through
/// `RequestPolicyMiddleware`, a thin adapter. It holds the rate limit (which requests are
/// charged, to whom, and the 429), the `/v1` check API's bearer tokens and JSON content
/// type (`JSONBody.isJSON`), and what is recorded of each answer (metrics and the request log).
struct RequestPolicy: Sendable {
    let rateLimit: RateLimiter?
    /// Tokens `/v1` requires, if any.
    let apiTokens: BearerTokens?
    let metrics: RouteMetrics
    let logger: Logger
    /// Whose `X-Forwarded-For` names the client (``client(peer:forwardedFor:)``).
    var trustedProxies = TrustedProxies.none

    /// The client behind a request, resolved once for every limit that counts clients
    /// (the rate limit here, the account routes' per-client limits): the peer, or behind
    /// trusted proxies the client they name; `.unknown` for a Unix-socket peer.
    func client(peer: SocketAddress?, forwardedFor: @autoclosure () -> [String]) -> ClientAddress {
        trustedProxies.client(peer: peer, forwardedFor: trustedProxies.isEmpty ? [] : forwardedFor())
    }

    /// Takes a token from the client's rate limit; returns the whole seconds to wait (the
    /// 429's `Retry-After`) if the client is over it. Called once per request, by the layer
    /// that answers it.
    func charge(path: some StringProtocol, client: @autoclosure () -> ClientAddress) -> Int? {
        guard let rateLimit, !RateLimiter.exemptPaths.contains(String(path)) else { return nil }
        return rateLimit.take(for: client(), now: .now).map(Self.retryAfter)
    }

    /// A wait in whole seconds, rounded up, as `Retry-After` gives it.
    static func retryAfter(_ wait: Double) -> Int { Int(wait.rounded(.up)) }

    /// The 429 of a rate limit, with the seconds to wait.
    static func rateLimited(retryAfter seconds: Int) -> APIError {
        var error = APIError(
            status: .tooManyRequests, code: "rate_limited", message: "too many requests from this address; retry later")
        error.headers = [.retryAfter: String(seconds)]
        return error
    }

    /// Whether a `/v1` request with this `Authorization` is refused for want of one of the
    /// API tokens (a 401, ``Answer/unauthorized``).
    func refusesToken(_ authorization: String?) -> Bool {
        apiTokens.map { !$0.authorize(authorization) } ?? false
    }

    /// Records an answer: request counts and latency by route template, method and status,
    /// and a debug-level log line (never bodies, which may hold passwords; at debug so that a
    /// busy server does not serialise on its log by default).
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, since start: UInt64) {
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - start
        metrics.record(route: route, method: method, status: status, nanoseconds: nanoseconds)
        logger.debug(
            "request",
            metadata: [
                "method": "\(method)", "route": "\(route)", "status": "\(status.code)",
                "microseconds": "\(nanoseconds / 1000)",
            ])
    }
}

/// The rate limit of the modules' routes (``ServerConfiguration/routesRequestsPerSecond``),
/// charged to the client the request policy resolved.
struct RouteRateLimitMiddleware: RouterMiddleware {
    typealias Context = BreachRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let wait = limiter.take(for: context.client, now: .now) {
            throw RequestPolicy.rateLimited(retryAfter: RequestPolicy.retryAfter(wait))
        }
        return try await next(request, context)
    }
}

/// The router's side of `RequestPolicy`: charges the rate limit and records every answer.
struct RequestPolicyMiddleware: RouterMiddleware {
    typealias Context = BreachRequestContext
    let policy: RequestPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        var context = context
        context.client = policy.client(
            peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
        do {
            if let seconds = policy.charge(path: request.uri.path, client: context.client) {
                throw RequestPolicy.rateLimited(retryAfter: seconds)
            }
            let response = try await next(request, context)
            // When the answer is made, as on the hot path (the body is not yet written).
            policy.record(
                route: context.endpointPath ?? "Unknown", method: request.method, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            policy.record(
                route: context.endpointPath ?? "NotFound", method: request.method, status: status, since: start)
            throw error
        }
    }
}
