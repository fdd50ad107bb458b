import BreachIndex
import BreachSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// How a server is set up.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// When set, listen on this Unix domain socket instead of `host` and `port`.
    public var unixSocketPath: String?
    /// Accept `{"password": …}` on `/v1/check` (switch off to take only hashes).
    public var allowPlaintext = true
    /// How often to look for a replaced index file; `nil` reloads on SIGHUP only.
    public var reloadInterval: Duration? = .seconds(5)
    /// When set, the check API's routes (`/v1/check`, `/v1/check/batch`, `/v1/index`)
    /// require `Authorization: Bearer` with one of these (the account routes are given
    /// them separately, through `routes`).
    public var apiTokens: [String]?
    /// When set, `POST /v1/admin/reload` is enabled for these tokens (and only them).
    public var adminTokens: [String]?
    /// PEM certificate chain and private key: serve HTTPS instead of HTTP. Both are read
    /// again on SIGHUP, for new connections.
    public var tls: (certificatePath: String, keyPath: String)?
    /// Open connections at most, in all and per client address; beyond them a new
    /// connection is closed at once. By default derived from the open-file limit.
    public var connectionLimits = ConnectionLimits.derived(fromOpenFileLimit: ConnectionLimits.openFileLimit())
    /// Memory for finished range answers, bodies and heads (0 turns the cache off).
    public var rangeCacheBytes = 64 << 20
    /// Requests a second allowed per client address on every route (bursts up to 2× that);
    /// `nil`: none but ``routesRequestsPerSecond``.
    public var requestsPerSecond: Double?
    /// Requests a second allowed per client address on `routes` alone (bursts up to 2×
    /// that) while `requestsPerSecond` is `nil`: the account routes hash passwords and send
    /// mail, so a daemon limits them even where the range API is left open. `nil`: no limit.
    public var routesRequestsPerSecond: Double?
    /// How many requests a client may make at once on `routes` before that rate applies
    /// (`nil`: twice the rate). A browser asks for a page, its stylesheet and script at
    /// once, and many people may share one address.
    public var routesBurst: Double?
    /// How long a connection may stay open with nothing under way (`nil`: no limit).
    public var idleTimeout: Duration? = .seconds(75)
    /// How long a request's body may take to arrive once its head has (`nil`: no limit);
    /// the idle timeout alone lets a client trickle a byte at a time forever.
    public var requestTimeout: Duration? = .seconds(30)
    /// Proxies whose `X-Forwarded-For` names the client the rate limit counts.
    public var trustedProxies = TrustedProxies.none
    /// Routes of the modules above the daemon (the account API), served beside its own.
    public var routes: [any ServerRoutes] = []
    /// Background work to run with the server (the accounts' database pool and outbox
    /// dispatcher), started in this order and shut down in reverse, after the server.
    public var services: [any Service] = []
    /// Run once the services are running, before the server listens; an error ends the
    /// application (the account store's connection check and migrations).
    public var beforeServerStarts: [@Sendable () async throws -> Void] = []

    public init() {}
}

/// The `Server` field of every answer, the router's (Hummingbird's) and the hot routes'.
let serverName = "breachdb"

/// Builds the HTTP application: the range API, the check API, index metadata, health.
/// Throws `TLSFilesError` when the TLS certificate or key cannot be read.
public func makeApplication(
    indexes: ServedIndexes, configuration: ServerConfiguration,
    logger: Logger = Logger(label: "breachdb")
) throws -> some ApplicationProtocol {
    try makeApplication(
        indexes: indexes, configuration: configuration, logger: logger,
        rangeCache: RangeCache(capacity: configuration.rangeCacheBytes))
}

/// The application answering range requests from `rangeCache` (tests look into it).
func makeApplication(
    indexes: ServedIndexes, configuration: ServerConfiguration, logger: Logger,
    rangeCache: RangeCache
) throws -> some ApplicationProtocol {
    let router = Router(context: BreachRequestContext.self)
    let policy = RequestPolicy(
        rateLimit: configuration.requestsPerSecond.map { RateLimiter(rate: $0, burst: max(1, $0 * 2)) },
        apiTokens: configuration.apiTokens.map(BearerTokens.init), metrics: RouteMetrics(), logger: logger,
        trustedProxies: configuration.trustedProxies)
    router.middlewares.add(RequestPolicyMiddleware(policy: policy))
    ServerMetrics.record(indexes.snapshot)
    @Sendable func range(_ request: Request, _ context: BreachRequestContext) throws -> Response {
        let query = RangeRoute.Query(
            prefix: try context.parameters.require("prefix")[...], mode: request.uri.queryParameters.get("mode"),
            addPadding: request.headers[.addPadding], acceptEncoding: request.headers[.acceptEncoding],
            ifNoneMatch: request.headers[.ifNoneMatch], wantReprDigest: request.headers[.wantReprDigest])
        let answer = RangeRoute.answer(query, indexes: indexes, cache: rangeCache)
        return Response(
            status: answer.status, headers: answer.headers,
            // One buffer goes out with the head in one write; a cached answer's parts each on their own.
            body: request.method == .head
                ? .init()
                : answer.bodyParts.count == 1
                    ? .init(byteBuffer: answer.bodyParts[0]) : .init(contentsOf: answer.bodyParts))
    }
    router.get("/range/:prefix", use: range)
    router.head("/range/:prefix", use: range)
    router.on("/range/:prefix", method: .options) { _, _ in
        Response(
            status: .noContent,
            headers: [
                .accessControlAllowOrigin: "*",
                .accessControlAllowMethods: "GET, HEAD, OPTIONS",
                .accessControlAllowHeaders: [HTTPField.Name.addPadding, .wantReprDigest].map(\.rawName).joined(
                    separator: ", "),
                .accessControlMaxAge: "86400",
            ])
    }
    let check = CheckRoutes(indexes: indexes, allowPlaintext: configuration.allowPlaintext)
    let v1 = router.group("v1")
    if let apiTokens = policy.apiTokens {
        v1.add(middleware: BearerTokenMiddleware(tokens: apiTokens))
    }
    v1.post("check") { request, _ in try await check.check(request) }
    v1.post("check/batch") { request, _ in try await check.batch(request) }
    v1.get("index") { _, _ in try IndexRoute.describe(indexes.snapshot) }
    if let adminTokens = configuration.adminTokens {
        v1.group("admin").add(middleware: BearerTokenMiddleware(tokens: BearerTokens(adminTokens)))
            .post("reload") { _, _ in
                do {
                    let snapshot = try await indexes.reload()
                    ServerMetrics.record(snapshot)
                    return try IndexRoute.describe(snapshot)
                } catch {
                    throw APIError(status: .unprocessableContent, code: "reload_refused", message: "\(error)")
                }
            }
    }
    let modules = router.group()
    if configuration.requestsPerSecond == nil, let rate = configuration.routesRequestsPerSecond {
        modules.add(
            middleware: RouteRateLimitMiddleware(
                limiter: RateLimiter(rate: rate, burst: configuration.routesBurst ?? max(1, rate * 2))))
    }
    for routes in configuration.routes { routes.register(on: modules) }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: ServerMetrics.registry.emitToBuffer())))
    }
    router.get("/healthz") { _, _ in "ok\n" }
    router.get("/readyz") { _, _ in Readiness(indexes.snapshot).response }
    let reloader = IndexReloader(indexes: indexes, interval: configuration.reloadInterval, logger: logger)
    let hotRoutes = HotRouteHandler.Routes(
        indexes: indexes, rangeCache: rangeCache, check: check, policy: policy,
        idleTimeout: configuration.idleTimeout.map { TimeAmount($0) },
        requestTimeout: configuration.requestTimeout.map { TimeAmount($0) })
    let tls = try configuration.tls.map { try ReloadableTLS(certificatePath: $0.certificatePath, keyPath: $0.keyPath) }
    let limiter = ConnectionLimiter(
        limits: configuration.connectionLimits, trustedProxies: configuration.trustedProxies, logger: logger)
    // The caps come first, so a refused connection costs no TLS handshake.
    let server = HTTPServerBuilder { responder in
        let http = HotRouteChannel(base: HTTP1Channel(responder: responder), routes: hotRoutes)
        let channel: any ServerChildChannel = tls.map { http.withReloadableTLS($0) } ?? http
        return channel.limitingConnections(limiter)
    }
    var services: [any Service] = [reloader]
    if let tls { services.append(TLSReloader(tls: tls, logger: logger)) }
    services += configuration.services
    var application = Application(
        router: router,
        server: server,
        configuration: .init(
            address: configuration.unixSocketPath.map { .unixDomainSocket(path: $0) }
                ?? .hostname(configuration.host, port: configuration.port),
            serverName: serverName),
        services: services,
        logger: logger
    )
    for process in configuration.beforeServerStarts { application.beforeServerStarts(perform: process) }
    return application
}

/// `GET /v1/index`: what is being served.
enum IndexRoute {
    struct Description: Encodable {
        /// Which format each index is: `full`, or `compact` (checks only, no `/range`).
        struct Formats: Encodable {
            var sha1: IndexFormat
            var ntlm: IndexFormat?
        }
        var sha1: IndexMetadata
        var ntlm: IndexMetadata?
        var formats: Formats
        var loadedAt: Date
    }

    static func describe(_ snapshot: ServedIndexes.Snapshot) throws -> Response {
        let data = try sortedJSON.encode(
            Description(
                sha1: snapshot.sha1.metadata, ntlm: snapshot.ntlm?.metadata,
                formats: .init(sha1: snapshot.sha1.format, ntlm: snapshot.ntlm?.format),
                loadedAt: snapshot.loadedAt))
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
