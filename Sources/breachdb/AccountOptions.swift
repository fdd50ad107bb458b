import AccountMail
import AccountStorage
import Accounts
import ArgumentParser
import BreachServer
import Foundation
import Logging
import ServiceLifecycle

/// The account module's settings, shared by `serve` and `accounts`.
struct AccountOptions: ParsableArguments {
    @Option(
        name: .customLong("accounts"),
        help: ArgumentHelp(
            "Serve the account API under /v1/accounts, stored at sqlite:PATH or postgres://USER:PASSWORD@HOST/DATABASE.",
            valueName: "location"))
    var location: String?

    @Option(
        help: ArgumentHelp(
            "Where e-mail goes: smtp://HOST:PORT (STARTTLS required, the certificate checked) or smtps://USER:PASSWORD@HOST:465.",
            valueName: "url"))
    var smtpURL: String?

    @Flag(
        name: .customLong("smtp-plaintext-loopback"),
        help:
            "Let an smtp:// server on 127.0.0.1, ::1 or localhost go without TLS (a development mail server; links and codes travel in these e-mails)."
    )
    var smtpPlaintextLoopback = false

    @Option(
        help: ArgumentHelp(
            "A file holding the SMTP password (one trailing newline ignored), for the user named in --smtp-url (smtps://USER@HOST): keeps the secret out of the URL, the process list and the environment.",
            valueName: "file"))
    var smtpPasswordFile: String?

    @Option(
        help: ArgumentHelp("The sender address of account e-mails (default: breachdb@localhost).", valueName: "address")
    )
    var mailFrom: String?

    @Option(help: ArgumentHelp("An HTTP endpoint that sends SMS: POST {\"id\",\"to\",\"message\"}.", valueName: "url"))
    var smsWebhook: String?

    @Option(
        help: ArgumentHelp(
            "A file holding the SMS webhook's token, sent as Authorization: Bearer (keeps the secret out of the URL).",
            valueName: "file"))
    var smsWebhookTokenFile: String?

    @Option(
        help: ArgumentHelp(
            "The store's secret key: 32 random bytes in base64 (openssl rand -base64 32). Seals links and codes in the outbox and keys device codes; the same file on every node. Required with PostgreSQL; with SQLite, default: the store's path + .key, made when missing.",
            valueName: "file"))
    var outboxKeyFile: String?

    @Option(help: ArgumentHelp("The base of links in e-mails, e.g. https://app.example.com.", valueName: "url"))
    var linkBaseURL: String?

    @Option(
        help: ArgumentHelp(
            "Shortest password accepted: 8 at least, 15 where the password is the only factor (default: 8).",
            valueName: "characters"))
    var minimumPasswordLength: Int?

    @Option(help: ArgumentHelp("The product's name in pages and e-mails (default: BreachDB).", valueName: "name"))
    var productName: String?

    func location(_ settings: Settings) throws -> String? { try settings.string(location, .accounts) }

    func configuration(_ settings: Settings) throws -> AccountConfiguration {
        var configuration = AccountConfiguration()
        if let base = try settings.string(linkBaseURL, .linkBaseURL) { configuration.linkBaseURL = base }
        if let name = try settings.string(productName, .productName) { configuration.productName = name }
        if let value = try settings.int(minimumPasswordLength, .minimumPasswordLength) {
            guard value >= 8 else {
                throw ValidationError("\(Setting.minimumPasswordLength.names): at least 8 (NIST 800-63B), got \(value)")
            }
            configuration.minimumPasswordLength = value
        }
        return configuration
    }

    /// The store named by `--accounts`, not yet open, and the service its database needs.
    func makeStore(_ settings: Settings) async throws -> (store: SQLAccountStore, service: (any Service)?) {
        let location = try storeLocation(settings)
        let key = try secretKey(settings, for: location)
        return try await storeFailure { try await SQLAccountStore.make(location, secretKey: key) }
    }

    /// Opens `store`: the server before it listens, the outbox dispatcher before its first pass.
    func open(_ store: SQLAccountStore) async throws {
        try await storeFailure { try await store.open() }
    }

    /// Runs `body` with the store named by `--accounts` open.
    func withStore<T>(_ settings: Settings, _ body: (SQLAccountStore) async throws -> T) async throws -> T {
        let location = try storeLocation(settings)
        let key = try secretKey(settings, for: location)
        return try await storeFailure { try await SQLAccountStore.withStore(location, secretKey: key, body) }
    }

    /// The key of `--outbox-key-file`; nil for SQLite without one (the store keeps its own).
    private func secretKey(_ settings: Settings, for location: String) throws -> AccountSecretKey? {
        guard let path = try settings.string(outboxKeyFile, .outboxKeyFile) else {
            guard location.hasPrefix("sqlite:") else {
                throw ValidationError(
                    "a PostgreSQL account store needs \(Setting.outboxKeyFile.names): one key file, the same on every node (make it with `openssl rand -base64 32 > FILE`)"
                )
            }
            return nil
        }
        return try Setting.outboxKeyFile.validated { try SecretKeyFile.read(path) }
    }

    private func storeLocation(_ settings: Settings) throws -> String {
        try settings.required(location, .accounts, what: "account store")
    }

    /// The store's own errors, named after the option that chose it.
    private func storeFailure<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CommandFailure {
            throw error
        } catch is CancellationError {
            throw CancellationError()  // a shutdown, not a store failure
        } catch {
            throw CommandFailure("--accounts: \(error)")
        }
    }

    /// The dispatcher for the store's outbox, or nil when no SMTP server is configured.
    func dispatcher(for store: SQLAccountStore, _ settings: Settings, logger: Logger) throws -> OutboxDispatcher? {
        guard let smtp = try settings.string(smtpURL, .smtpURL) else { return nil }
        var configuration = try Setting.smtpURL.validated {
            try SMTPConfiguration(
                url: smtp, sender: try settings.string(mailFrom, .mailFrom) ?? "breachdb@localhost",
                allowPlaintextOnLoopback: try settings.flag(smtpPlaintextLoopback, .smtpPlaintextLoopback))
        }
        if let path = try settings.string(smtpPasswordFile, .smtpPasswordFile) {
            guard configuration.username != nil else {
                throw ValidationError(
                    "\(Setting.smtpPasswordFile.names): --smtp-url names no user for the password (smtps://USER@HOST)")
            }
            guard configuration.password == nil else {
                throw ValidationError(
                    "\(Setting.smtpPasswordFile.names): --smtp-url already holds a password; give it in one place")
            }
            configuration.password = try Self.readSecret(path, for: .smtpPasswordFile)
        }
        let sms = try settings.string(smsWebhook, .smsWebhook).map {
            SMSWebhook(url: $0, bearerToken: try smsToken(settings))
        }
        if let sms, sms.sendsTokenInPlainText {
            logger.warning(
                "--sms-webhook is plain http:// to a host that is not loopback: its bearer token (--sms-webhook-token-file) and every message travel unencrypted; use https://"
            )
        }
        return OutboxDispatcher(outbox: store, email: SMTPMailer(configuration: configuration), sms: sms)
    }

    /// A secret kept in a file: the whole file but one trailing line ending (editors add
    /// one; a password may hold any other character, spaces included).
    static func readSecret(_ path: String, for setting: Setting) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(setting.names): cannot read \(path)")
        }
        guard var secret = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(setting.names): \(path) is not UTF-8 text")
        }
        if secret.last?.isNewline == true { secret.removeLast() }  // "\n", or "\r\n" (one Character)
        guard !secret.isEmpty else { throw ValidationError("\(setting.names): \(path) is empty") }
        guard !secret.contains(where: \.isNewline) else {
            throw ValidationError("\(setting.names): \(path) holds more than one line; the password is one line")
        }
        return secret
    }

    /// The one token of `--sms-webhook-token-file`, if given (read as `--token-file` is).
    private func smsToken(_ settings: Settings) throws -> String? {
        guard let path = try settings.string(smsWebhookTokenFile, .smsWebhookTokenFile) else { return nil }
        let tokens = try Setting.smsWebhookTokenFile.validated { try readTokens(from: path) }
        guard tokens.count == 1 else {
            throw ValidationError(
                "\(Setting.smsWebhookTokenFile.names): \(path) holds \(tokens.count) tokens; the webhook takes one")
        }
        return tokens[0]
    }
}
