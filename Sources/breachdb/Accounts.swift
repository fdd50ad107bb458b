import Accounts
import ArgumentParser
import BreachIndex
import Foundation

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Manage the account store.",
        subcommands: [CreateAdministrator.self]
    )
}

/// Bootstraps the first super-administrator; later accounts are added over the API.
struct CreateAdministrator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-admin",
        abstract: "Create a super-administrator, active at once.",
        discussion:
            "Reads the password from standard input (one line), so it stays out of the shell history and process list. The password is checked against the index (B1)."
    )

    @OptionGroup var configFile: ConfigFileOption

    @OptionGroup var accounts: AccountOptions

    @Option(help: "The administrator's e-mail address, also their user ID.")
    var email: String

    @Option(help: "The SHA-1 index that new passwords are checked against (env BREACHDB_INDEX).")
    var index: String?

    func run() async throws {
        let settings = try await Settings(configFile)
        let indexPath = try settings.required(index, .index, what: "index")
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        let breachIndex: BreachIndex
        do { breachIndex = try BreachIndex(path: indexPath) } catch { throw CommandFailure("\(error)") }
        let configuration = try accounts.configuration(settings)
        try await accounts.withStore(settings) { store in
            let service = AccountService(
                store: store, breachChecker: LocalBreachChecker(index: breachIndex), configuration: configuration)
            do {
                let id = try await service.createAdministrator(email: email, password: password)
                print("created super-administrator \(id)")
            } catch let error as AccountError {
                throw CommandFailure("\(error.message)")
            }
        }
    }
}
