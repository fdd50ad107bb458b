import AccountPages
import Accounts
import AccountsHTTP
import ArgumentParser
import BreachIndex
import BreachServer
import BreachSupport
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer breach checks over HTTP.",
        discussion: """
            Serves GET /range/{prefix} (the Pwned Passwords range API, byte-compatible), \
            POST /v1/check and /v1/check/batch, GET /v1/index, /healthz, /readyz and /metrics \
            (Prometheus). With --accounts, the account API (sign-up, sign-in, resets; \
            docs/accounts.md) is served under /v1/accounts, and the same flows as pages for a browser \
            (/sign-in, /account, …) and its e-mails go through --smtp-url.

            Every option can also be set in the environment, as BREACHDB_ and its name in \
            capitals (--tls-key is BREACHDB_TLS_KEY, --no-plaintext is BREACHDB_NO_PLAINTEXT=1), \
            or in a JSON config file keyed by its name (--config); the command line wins over \
            the environment, which wins over the file.

            Start-up checks the index's structure only and answers at once; its checksums are \
            verified in the background, and a damaged chunk turns /readyz to 503. The index is \
            reloaded when its file is replaced or on SIGHUP, once the new file passes every \
            check; SIGHUP also reads the TLS certificate and key again, for new connections \
            (open ones keep theirs; files that fail keep the old ones, logged). SIGTERM and \
            SIGINT stop after in-flight requests.
            """
    )

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("The SHA-1 index to serve.", valueName: "file"))
    var index: String?

    @Option(help: ArgumentHelp("An NTLM index for ?mode=ntlm.", valueName: "file"))
    var ntlmIndex: String?

    @Option(help: ArgumentHelp("Address to listen on (default: 127.0.0.1, loopback only).", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on (default: 8080).", valueName: "port"))
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "Listen on this Unix domain socket instead of an address and port (a stale socket file is replaced).",
            valueName: "path"))
    var unixSocket: String?

    @Flag(help: "Refuse plaintext passwords on /v1/check: hashes only.")
    var noPlaintext = false

    @Option(
        help: ArgumentHelp(
            "Seconds between checks for a replaced index file; 0: on SIGHUP only (default: 5).", valueName: "seconds"))
    var reloadInterval: Int?

    @Option(
        help: ArgumentHelp(
            "Seconds a connection may stay open with no request or answer under way; 0: no limit (default: 75, above common load balancers' 60).",
            valueName: "seconds"))
    var idleTimeout: Int?

    @Option(
        help: ArgumentHelp(
            "Seconds a request's body may take to arrive once its head has, however steadily it trickles; 0: no limit (default: 30).",
            valueName: "seconds"))
    var requestTimeout: Int?

    @Option(
        help: ArgumentHelp(
            "Open connections at most; a new one beyond is closed at once, unanswered; 0: no cap (default: the open-file limit, raised to the hard one at start, less a tenth of it, at least 64).",
            valueName: "count"))
    var maxConnections: Int?

    @Option(
        help: ArgumentHelp(
            "Open connections at most from one client address (an IPv4 address or IPv6 /64); a new one beyond is closed at once; Unix-socket peers and --trusted-proxies are not counted per address; 0: no cap (default: a sixteenth of --max-connections, at least 32).",
            valueName: "count"))
    var maxConnectionsPerAddress: Int?

    @Option(
        help: ArgumentHelp(
            "Memory for finished /range answers, so popular prefixes are answered from it; 0: no cache (default: 64).",
            valueName: "MB"))
    var rangeCacheMb: Int?

    @Option(
        help: ArgumentHelp(
            "Requests a second allowed per client (an IPv4 address or IPv6 /64) on every route, bursts up to twice that; 429 beyond; /healthz, /readyz and /metrics exempt; 0: no limit at all (default: \(Int(Serve.accountRequestsPerSecond)), bursts of \(Int(Serve.accountBurst)), on the account API and pages only).",
            valueName: "per-second"))
    var rateLimit: Double?

    @Option(
        help: ArgumentHelp(
            "Proxies in front of the daemon, comma-separated addresses, networks or \"unix\" (e.g. 10.0.0.0/8,::1): behind them, the rate limit counts the client they name in X-Forwarded-For, and their connections are not capped per address (default: none; each connection's peer is the client).",
            valueName: "list"))
    var trustedProxies: String?

    @Option(
        help: ArgumentHelp(
            "PEM certificate chain for HTTPS, with --tls-key; read again on SIGHUP for new connections.",
            valueName: "pem-file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("PEM private key for HTTPS; read again on SIGHUP.", valueName: "pem-file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "A file of bearer tokens (one per line) required on the check API (/v1/check, /v1/check/batch, /v1/index) and the accounts' password-strength check; account routes use their sessions.",
            valueName: "file"))
    var tokenFile: String?

    @Option(
        help: ArgumentHelp("A file of tokens for POST /v1/admin/reload, which is off without it.", valueName: "file"))
    var adminTokenFile: String?

    @OptionGroup(title: "Accounts") var accounts: AccountOptions

    @Option(
        help: ArgumentHelp(
            "With --accounts: a directory whose templates/*.mustache, messages/LANGUAGE.json and static/pages.css or pages.js replace the built-in pages' files.",
            valueName: "directory"))
    var pagesDirectory: String?

    @Flag(help: "With --accounts: serve the JSON API only, not the pages for browsers (/sign-in, /account, …).")
    var noPages = false

    /// The account routes' rate limit when `--rate-limit` is not given. Their requests cost
    /// Argon2 work and send mail, so a client gets a page's worth of requests at once and a
    /// few a second after; the range API, microseconds a request and fetched in bulk by
    /// its clients (a whole download is a million requests), stays open unless asked.
    static let accountRequestsPerSecond = 5.0
    /// Requests a client may make at once on them: a browser loads a page with its
    /// stylesheet and script, and an office behind one address signs in together.
    static let accountBurst = 50.0

    func run() async throws {
        let settings = try await Settings(configFile)
        let indexPath = try settings.required(index, .index, what: "index")
        var server = ServerConfiguration()
        server.host = try settings.string(host, .host) ?? server.host
        if let value = try settings.int(port, .port) {
            guard (0...65535).contains(value) else {
                throw ValidationError("\(Setting.port.names): not a port number: \(value)")
            }
            server.port = value
        }
        server.unixSocketPath = try settings.string(unixSocket, .unixSocket)
        server.allowPlaintext = !(try settings.flag(noPlaintext, .noPlaintext))
        server.reloadInterval = try settings.seconds(reloadInterval, .reloadInterval, default: 5)
        server.idleTimeout = try settings.seconds(idleTimeout, .idleTimeout, default: 75)
        server.requestTimeout = try settings.seconds(requestTimeout, .requestTimeout, default: 30)
        let cacheMegabytes = try settings.count(rangeCacheMb, .rangeCacheMB, of: "megabytes") ?? 64
        let (cacheBytes, overflow) = cacheMegabytes.multipliedReportingOverflow(by: 1 << 20)
        guard !overflow else {
            throw ValidationError(
                "\(Setting.rangeCacheMB.names): more megabytes than memory can hold: \(cacheMegabytes)")
        }
        server.rangeCacheBytes = cacheBytes
        if let value = try settings.double(rateLimit, .rateLimit) {
            guard value >= 0, value.isFinite else {
                throw ValidationError(
                    "\(Setting.rateLimit.names): not a number of requests a second (0: no limit): \(value)")
            }
            server.requestsPerSecond = value > 0 ? value : nil
        } else {
            server.routesRequestsPerSecond = Self.accountRequestsPerSecond
            server.routesBurst = Self.accountBurst
        }
        if let list = try settings.string(trustedProxies, .trustedProxies) {
            server.trustedProxies = try Setting.trustedProxies.validated { try TrustedProxies(parsing: list) }
        }
        switch (try settings.string(tlsCertificate, .tlsCertificate), try settings.string(tlsKey, .tlsKey)) {
        case (let certificate?, let key?): server.tls = (certificate, key)
        case (nil, nil): break
        default: throw ValidationError("HTTPS needs both --tls-certificate and --tls-key")
        }
        do {
            server.apiTokens = try settings.string(tokenFile, .tokenFile).map(readTokens)
            server.adminTokens = try settings.string(adminTokenFile, .adminTokenFile).map(readTokens)
        } catch let error as TokenFileError {
            throw CommandFailure("\(error)")
        }
        var logger = Logger(label: "breachdb")
        logger.logLevel = .info
        ServerMetrics.bootstrapProcessMetrics()
        raiseOpenFileLimit(logger: logger)
        server.connectionLimits = try connectionLimits(settings)
        let ntlmPath = try settings.string(ntlmIndex, .ntlmIndex)
        let indexes: ServedIndexes
        do {
            indexes = try ServedIndexes(sha1Path: indexPath, ntlmPath: ntlmPath, logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        logger.info(
            "serving",
            metadata: [
                "index": "\(indexPath)", "hashes": "\(indexes.snapshot.sha1.metadata.hashCount)",
                "address": "\(server.unixSocketPath ?? "\(server.host):\(server.port)")",
                "maxConnections": "\(server.connectionLimits.total.map(String.init) ?? "no cap")",
                "maxConnectionsPerAddress": "\(server.connectionLimits.perAddress.map(String.init) ?? "no cap")",
            ])
        if try accounts.location(settings) != nil {
            let (store, database) = try await accounts.makeStore(settings)
            // The database's pool runs first in the service group, so it stops last; the
            // store opens (connection check, migrations) once it runs, before the server
            // listens and before the dispatcher's first pass.
            server.services += [database].compactMap { $0 }
            server.beforeServerStarts.append { [accounts] in try await accounts.open(store) }
            let service = AccountService(
                store: store, breachChecker: LocalBreachChecker(currentIndex: { indexes.snapshot.sha1 }),
                configuration: try accounts.configuration(settings), logger: logger)
            server.routes.append(
                AccountRoutes(accounts: service, allowPlaintext: server.allowPlaintext, apiTokens: server.apiTokens))
            if !(try settings.flag(noPages, .noPages)) {
                let resources: PageResources
                do {
                    resources = try await PageResources(
                        overridesFrom: try settings.string(pagesDirectory, .pagesDirectory))
                } catch {
                    throw CommandFailure("--pages-directory: \(error)")
                }
                server.routes.append(
                    AccountPageRoutes(
                        accounts: service, resources: resources,
                        productName: service.configuration.productName,
                        // Behind a TLS-terminating proxy the links are https: the cookies must be too.
                        secure: server.tls != nil || service.configuration.linkBaseURL.lowercased().hasPrefix("https:"))
                )
            }
            if let dispatcher = try accounts.dispatcher(for: store, settings, logger: logger) {
                server.services.append(
                    AfterOpening(open: { [accounts] in try await accounts.open(store) }, service: dispatcher))
            } else {
                logger.warning("accounts: no --smtp-url, so e-mails wait in the outbox until a server is configured")
            }
        }
        if !server.trustedProxies.isEmpty, server.requestsPerSecond == nil, server.routes.isEmpty,
            server.connectionLimits.perAddress == nil
        {
            logger.warning(
                "--trusted-proxies has no effect without --rate-limit, --accounts or --max-connections-per-address: it only tells the limits who the client is"
            )
        }
        let application: any ApplicationProtocol
        do {
            application = try makeApplication(indexes: indexes, configuration: server, logger: logger)
        } catch {
            throw CommandFailure("cannot set up TLS: \(error)")
        }
        do {
            try await application.runService()
        } catch is CancellationError {
            // SIGTERM or SIGINT before the server listened (waiting for the account store).
            logger.info("stopped while starting")
        }
    }

    /// The connection caps: as given (0: none), else derived from the open-file limit
    /// (read once it is raised).
    func connectionLimits(_ settings: Settings) throws -> ConnectionLimits {
        let derived = ConnectionLimits.derived(fromOpenFileLimit: ConnectionLimits.openFileLimit())
        var limits = derived
        if let value = try settings.count(maxConnections, .maxConnections, of: "connections") {
            limits.total = value > 0 ? value : nil
            limits.perAddress = limits.total.map(ConnectionLimits.perAddress(forTotal:)) ?? derived.perAddress
        }
        if let value = try settings.count(maxConnectionsPerAddress, .maxConnectionsPerAddress, of: "connections") {
            limits.perAddress = value > 0 ? value : nil
        }
        return limits
    }
}

/// Raises the soft limit on open files to the hard one: each client connection holds a
/// descriptor, and the usual soft default (1,024) would refuse clients long before the
/// machine runs short. Logged, so an operator sees what the node can hold.
private func raiseOpenFileLimit(logger: Logger) {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    let soft = limit.rlim_cur
    if soft < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 { limit.rlim_cur = soft }
    }
    logger.info("open files", metadata: ["limit": "\(limit.rlim_cur)", "was": "\(soft)", "hard": "\(limit.rlim_max)"])
}
