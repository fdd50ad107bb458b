import AccountTestSupport
import Accounts
import Foundation
import TestSupport
import Testing

@testable import AccountStorage

@Suite("Secrets and storage", .dropsTestDatabases, .accountTestTimeLimit)
struct StoredSecretsTests {
    @Test("Tokens and codes are stored only as hashes; the audit log holds no secret", arguments: StoreKind.all)
    func secretsAreNotStored(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("raw", on: kind) { fixture, login, user in
            let resetToken = try await fixture.requestedResetLink(for: login)
            let dump = try await fixture.store.database.transaction { connection in
                var text = ""
                for table in [
                    "accounts", "one_time_tokens", "sessions", "known_devices", "device_challenges", "audit_log",
                ] {
                    for row in try await connection.query("SELECT * FROM \(table)", []) { text += "\(row.values)\n" }
                }
                return text
            }
            #expect(dump.contains("$argon2id$"))
            for secret in [user.sessionToken, try #require(user.deviceToken), resetToken, AccountFixture.goodPassword] {
                #expect(!dump.contains(secret))
            }
            // Sent messages keep no body (it held a link).
            let bodies = try await fixture.store.database.transaction { connection in
                try await connection.query("SELECT body FROM outbox WHERE sent_at IS NOT NULL", []).map {
                    try $0.text("body")
                }
            }
            #expect(!bodies.isEmpty && bodies.allSatisfy(\.isEmpty))
        }
    }

    @Test("Migrations run once: reopening keeps the data and the schema version", arguments: StoreKind.all)
    func reopeningKeepsData(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let again = SQLAccountStore(database: fixture.store.database, secretKey: fixture.store.secretKey)
            try await again.open()
            let service = fixture.anotherService(store: again)
            #expect(try await service.authenticate(sessionToken: admin).role == .superAdministrator)
            let versions = try await fixture.store.database.transaction { connection in
                try await connection.query("SELECT version FROM schema_migrations", []).map {
                    try $0.integer("version")
                }
            }
            #expect(versions == Array(1...Int64(Migrations.steps.count)))
        }
    }

    @Test("D1: a stored role this version does not know is an error, never a default role", arguments: StoreKind.all)
    func unknownStoredRoleIsAnError(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            _ = try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "UPDATE accounts SET role = 'owner' WHERE login = ?", [.text(fixture.address("admin"))])
            }
            let error = await #expect(throws: SQLStoreError.self) {
                try await fixture.service.authenticate(sessionToken: admin)
            }
            #expect(error?.description.contains("owner") == true)
        }
    }

    @Test("The SQLite file (and its WAL journal) is created readable by its owner only")
    func databaseFileIsPrivate() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("private.sqlite")
        try await SQLAccountStore.withStore("sqlite:" + path) { store in
            try await store.transaction { tx in _ = try await tx.account(login: "nobody") }
            for file in [path, path + "-wal"] {
                let permissions = try #require(
                    try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
                #expect(permissions & 0o077 == 0, "\(file): \(String(permissions, radix: 8))")
            }
        }
    }

    @Test("An outbox message whose code has expired is never sent, and its body is dropped", arguments: StoreKind.all)
    func expiredSecretsLeaveTheOutbox(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("late", on: kind) { fixture, login, _ in
            _ = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            // The mail server was down for the code's ten minutes.
            fixture.clock.advance(.seconds(601))
            #expect(try await fixture.mail(to: login).filter { $0.subject.contains("verification code") }.isEmpty)
            let bodies = try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "SELECT body FROM outbox WHERE recipient = ? AND subject LIKE '%verification code%'", [.text(login)]
                )
                .map { try $0.text("body") }
            }
            #expect(bodies == [""])
        }
    }

    @Test(
        "PostgreSQL: without sslmode the connection requires TLS (a server without it is refused)",
        .enabled(if: StoreKind.postgresURL != nil))
    func postgresRequiresTLSByDefault() async throws {
        let configured = try #require(StoreKind.postgresURL)
        var components = try #require(URLComponents(string: configured))
        components.queryItems = nil
        let url = try #require(components.string)
        // The test server has no TLS: `prefer` fell back to plain text; `require` refuses.
        let error = await #expect(throws: (any Error).self) { try await SQLAccountStore.withStore(url) { _ in } }
        #expect(error.map { "\($0)" }?.contains("breachdb:breachdb@") == false)
    }

    @Test("A PostgreSQL URL that cannot be parsed is never echoed with its password")
    func unparsableURLIsNotEchoed() async throws {
        // An unclosed IPv6 bracket: URLComponents gives up on the whole URL.
        let error = await #expect(throws: (any Error).self) {
            try await SQLAccountStore.withStore("postgres://admin:s3cret@[db.example.com/accounts") { _ in }
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(!text.contains("s3cret"), "\(text)")
    }

    @Test("The PostgreSQL store is tested in CI", .enabled(if: ProcessInfo.processInfo.environment["CI"] != nil))
    func postgresIsConfiguredInCI() {
        #expect(StoreKind.postgresURL != nil, "set BREACHDB_TEST_POSTGRES_URL (tools/test.sh does)")
    }
}
