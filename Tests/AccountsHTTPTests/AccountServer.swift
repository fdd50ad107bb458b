import AccountTestSupport
import Accounts
import AccountsHTTP
import BreachHash
import BreachIndex
import BreachServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport

/// Runs `body` against a live server with the account routes (an index of the fixture's
/// breached passwords behind them), a fixture of `kind` and its signed-in super-administrator.
func withAccountServer(
    _ kind: StoreKind, configure: (inout ServerConfiguration) throws -> Void = { _ in },
    _ body: @escaping @Sendable (AccountFixture, String, any TestClientProtocol) async throws -> Void
) async throws {
    try await AccountFixture.withAdministrator(kind) { fixture, admin in
        let directory = try TemporaryDirectory()
        let indexPath = directory.file("index.lmdb")
        try writeIndex(
            AccountFixture.breachedPasswords.map { HashCount(digest: PasswordHasher.hash($0, kind: .sha1), count: 7) },
            to: indexPath)
        var configuration = ServerConfiguration()
        configuration.port = 0
        try configure(&configuration)
        configuration.routes = [
            AccountRoutes(
                accounts: fixture.service, allowPlaintext: configuration.allowPlaintext,
                apiTokens: configuration.apiTokens)
        ]
        let application = try makeApplication(
            indexes: try ServedIndexes(sha1Path: indexPath, ntlmPath: nil), configuration: configuration)
        try await application.test(.live) { client in try await body(fixture, admin, client) }
    }
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
