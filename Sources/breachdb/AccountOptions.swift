import AccountMail
import AccountStorage
import Accounts
import ArgumentParser
import Foundation

/// The account module's settings, shared by `serve` and `accounts`.
struct AccountOptions: ParsableArguments {
    @Option(name: .customLong("accounts"), help: "Serve the account API under /v1/accounts, stored at sqlite:PATH or postgres://USER:PASSWORD@HOST/DATABASE (env BREACHDB_ACCOUNTS).")
    var location: String?

    @Option(help: "Where e-mail goes: smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465 (env BREACHDB_SMTP_URL).")
    var smtpURL: String?

    @Option(help: "The sender address of account e-mails (env BREACHDB_MAIL_FROM, default breachdb@localhost).")
    var mailFrom: String?

    @Option(help: "An HTTP endpoint that sends SMS: POST {\"id\",\"to\",\"message\"} (env BREACHDB_SMS_WEBHOOK).")
    var smsWebhook: String?

    @Option(help: "The base of links in e-mails, e.g. https://app.example.com (env BREACHDB_LINK_BASE_URL).")
    var linkBaseURL: String?

    @Option(help: "Shortest password accepted: 8 at least, 15 where the password is the only factor (env BREACHDB_MINIMUM_PASSWORD_LENGTH).")
    var minimumPasswordLength: Int?

    var resolvedLocation: String? { setting(location, "BREACHDB_ACCOUNTS") }

    func configuration() throws -> AccountConfiguration {
        var configuration = AccountConfiguration()
        if let base = setting(linkBaseURL, "BREACHDB_LINK_BASE_URL") { configuration.linkBaseURL = base }
        if let text = setting(minimumPasswordLength.map(String.init), "BREACHDB_MINIMUM_PASSWORD_LENGTH") {
            guard let value = Int(text), value >= 8 else {
                throw ValidationError("--minimum-password-length / BREACHDB_MINIMUM_PASSWORD_LENGTH: at least 8 (NIST 800-63B), got \(text)")
            }
            configuration.minimumPasswordLength = value
        }
        return configuration
    }

    func openStore() async throws -> SQLAccountStore {
        guard let location = resolvedLocation else { throw ValidationError("no account store: pass --accounts or set BREACHDB_ACCOUNTS") }
        do {
            return try await SQLAccountStore.open(location)
        } catch {
            throw CommandFailure("--accounts: \(error)")
        }
    }

    /// The dispatcher for the store's outbox, or nil (with the reason) when no SMTP
    /// server is configured.
    func dispatcher(for store: SQLAccountStore) throws -> OutboxDispatcher? {
        guard let smtp = setting(smtpURL, "BREACHDB_SMTP_URL") else { return nil }
        let mailer: SMTPMailer
        do {
            mailer = SMTPMailer(configuration: try SMTPConfiguration(url: smtp, sender: setting(mailFrom, "BREACHDB_MAIL_FROM") ?? "breachdb@localhost"))
        } catch {
            throw ValidationError("--smtp-url / BREACHDB_SMTP_URL: \(error)")
        }
        let sms = (setting(smsWebhook, "BREACHDB_SMS_WEBHOOK")).map { SMSWebhook(url: $0) }
        return OutboxDispatcher(outbox: store, email: mailer, sms: sms)
    }
}

/// An option's value if given on the command line, else its environment variable's.
func setting(_ option: String?, _ variable: String) -> String? {
    option ?? ProcessInfo.processInfo.environment[variable]
}
