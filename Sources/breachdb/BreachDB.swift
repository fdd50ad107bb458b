import ArgumentParser

@main
struct BreachDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breachdb",
        abstract: "Build and query a breached-password index (Pwned Passwords compatible).",
        version: "0.1.0",
        subcommands: [
            Ingest.self, Download.self, Compact.self, Export.self, Check.self, RangeCommand.self, Stats.self,
            Verify.self, Serve.self, AccountsCommand.self,
        ]
    )
}
