import Accounts
import ArgumentParser
import BreachCheck
import BreachServer
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer breach checks over HTTP.",
        discussion: """
            Serves GET /range/{prefix} (the Pwned Passwords range API, byte-compatible), \
            POST /v1/check and /v1/check/batch, GET /v1/index, /healthz and /readyz. Every \
            option can also be set in the environment: BREACHDB_INDEX, BREACHDB_NTLM_INDEX, \
            BREACHDB_HOST, BREACHDB_PORT, BREACHDB_NO_PLAINTEXT=1, BREACHDB_TOKEN_FILE, \
            BREACHDB_ADMIN_TOKEN_FILE, BREACHDB_RATE_LIMIT, BREACHDB_TLS_CERTIFICATE, \
            BREACHDB_TLS_KEY, and the account settings below. With --accounts, the account API \
            (sign-up, sign-in, resets; docs/accounts.md) is served under /v1/accounts and its \
            e-mails are sent through --smtp-url. GET /metrics serves Prometheus metrics. The index is reloaded when \
            its file is replaced or on SIGHUP; SIGTERM and SIGINT stop after in-flight requests.
            """
    )

    @Option(help: "The SHA-1 index to serve (env BREACHDB_INDEX).")
    var index: String?

    @Option(help: "An NTLM index for ?mode=ntlm (env BREACHDB_NTLM_INDEX).")
    var ntlmIndex: String?

    @Option(help: "Address to listen on; loopback unless told otherwise (env BREACHDB_HOST).")
    var host: String?

    @Option(help: "Port to listen on (env BREACHDB_PORT, default 8080).")
    var port: Int?

    @Flag(help: "Refuse plaintext passwords on /v1/check: hashes only (env BREACHDB_NO_PLAINTEXT=1).")
    var noPlaintext = false

    @Option(help: "Seconds between checks for a replaced index file (0: SIGHUP only).")
    var reloadInterval: Int = 5

    @Option(help: "Requests a second allowed per client address, bursts up to twice that; 429 beyond (env BREACHDB_RATE_LIMIT; default: no limit).")
    var rateLimit: Double?

    @Option(help: "PEM certificate chain for HTTPS, with --tls-key (env BREACHDB_TLS_CERTIFICATE).")
    var tlsCertificate: String?

    @Option(help: "PEM private key for HTTPS (env BREACHDB_TLS_KEY).")
    var tlsKey: String?

    @Option(help: "A file of bearer tokens (one per line) required on every /v1 route (env BREACHDB_TOKEN_FILE).")
    var tokenFile: String?

    @Option(help: "A file of tokens for POST /v1/admin/reload, which is off without it (env BREACHDB_ADMIN_TOKEN_FILE).")
    var adminTokenFile: String?

    @OptionGroup(title: "Accounts") var accounts: AccountOptions

    func run() async throws {
        guard let indexPath = setting(index, "BREACHDB_INDEX") else {
            throw ValidationError("no index: pass --index or set BREACHDB_INDEX")
        }
        var settings = ServerConfiguration()
        settings.host = setting(host, "BREACHDB_HOST") ?? settings.host
        if let text = setting(port.map(String.init), "BREACHDB_PORT") {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw ValidationError("--port / BREACHDB_PORT: not a port number: \(text)")
            }
            settings.port = value
        }
        settings.allowPlaintext = !(noPlaintext || setting(nil, "BREACHDB_NO_PLAINTEXT") == "1")
        settings.reloadInterval = reloadInterval > 0 ? .seconds(reloadInterval) : nil
        if let text = setting(rateLimit.map { "\($0)" }, "BREACHDB_RATE_LIMIT") {
            guard let value = Double(text), value > 0 else {
                throw ValidationError("--rate-limit / BREACHDB_RATE_LIMIT: not a positive number: \(text)")
            }
            settings.requestsPerSecond = value
        }
        switch (setting(tlsCertificate, "BREACHDB_TLS_CERTIFICATE"), setting(tlsKey, "BREACHDB_TLS_KEY")) {
        case (let certificate?, let key?): settings.tls = (certificate, key)
        case (nil, nil): break
        default: throw ValidationError("HTTPS needs both --tls-certificate and --tls-key")
        }
        do {
            settings.apiTokens = try setting(tokenFile, "BREACHDB_TOKEN_FILE").map(readTokens)
            settings.adminTokens = try setting(adminTokenFile, "BREACHDB_ADMIN_TOKEN_FILE").map(readTokens)
        } catch {
            throw CommandFailure("\(error)")
        }
        var logger = Logger(label: "breachdb")
        logger.logLevel = .info
        let indexes: ServedIndexes
        do {
            indexes = try ServedIndexes(sha1Path: indexPath, ntlmPath: setting(ntlmIndex, "BREACHDB_NTLM_INDEX"))
        } catch {
            throw CommandFailure("\(error)")
        }
        logger.info("serving", metadata: ["index": "\(indexPath)", "hashes": "\(indexes.snapshot.sha1.metadata.hashCount)",
                                          "address": "\(settings.host):\(settings.port)"])
        if accounts.resolvedLocation != nil {
            let store = try await accounts.openStore()
            settings.accounts = AccountService(store: store, breachChecker: LocalBreachChecker(currentIndex: { indexes.snapshot.sha1 }),
                                               configuration: try accounts.configuration(), logger: logger)
            if let dispatcher = try accounts.dispatcher(for: store) {
                settings.services.append(dispatcher)
            } else {
                logger.warning("accounts: no --smtp-url, so e-mails wait in the outbox until a server is configured")
            }
        }
        let application: any ApplicationProtocol
        do {
            application = try makeApplication(indexes: indexes, configuration: settings, logger: logger)
        } catch {
            throw CommandFailure("cannot set up TLS: \(error)")
        }
        try await application.runService()
    }
}
