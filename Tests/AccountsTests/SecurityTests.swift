@testable import AccountStorage
import Accounts
import BreachCheck
import Foundation
import Testing

@Suite("Secrets, hashing and storage")
struct SecurityTests {
    @Test("Tokens and codes are stored only as hashes; the audit log holds no secret", arguments: StoreKind.all)
    func secretsAreNotStored(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        let user = try await fixture.activeUser("raw", by: admin)
        try await fixture.service.requestPasswordReset(login: fixture.address("raw"))
        let resetToken = try #require(try await fixture.mail(to: fixture.address("raw")).compactMap { $0.token(forPath: "reset-password") }.first)
        let dump = try await fixture.store.database.transaction { connection in
            var text = ""
            for table in ["accounts", "one_time_tokens", "sessions", "known_devices", "device_challenges", "audit_log"] {
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
            try await connection.query("SELECT body FROM outbox WHERE sent_at IS NOT NULL", []).map { try $0.text("body") }
        }
        #expect(!bodies.isEmpty && bodies.allSatisfy(\.isEmpty))
        try await fixture.close()
    }

    @Test("Argon2id uses OWASP's parameters by default; a hash made under older settings is upgraded at the next sign-in")
    func argon2ParametersAndUpgrade() async throws {
        let hashing = PasswordHashing()
        let owasp = try await hashing.hash("a-password-to-hash")
        #expect(owasp.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(await hashing.verify("a-password-to-hash", against: owasp))
        #expect(!(await hashing.verify("another-password", against: owasp)))

        let fixture = try await AccountFixture(.sqlite) { $0.verifyNewDevices = false }
        let admin = try await fixture.administrator()
        let user = try await fixture.activeUser("up", by: admin)
        let stronger = AccountService(store: fixture.store, breachChecker: fixture.breaches.checker, configuration: {
            var configuration = AccountFixture.testConfiguration()
            configuration.argon2 = Argon2Parameters(memoryKiB: 512, iterations: 2, parallelism: 1)
            configuration.verifyNewDevices = false
            return configuration
        }(), clock: fixture.clock)
        _ = try await stronger.signIn(login: fixture.address("up"), password: AccountFixture.goodPassword)
        let stored = try await fixture.store.transaction { tx in try await tx.account(id: user.accountID)?.passwordHash }
        #expect(stored?.hasPrefix("$argon2id$v=19$m=512,t=2,p=1$") == true)
        _ = try await stronger.signIn(login: fixture.address("up"), password: AccountFixture.goodPassword)
        try await fixture.close()
    }

    @Test("A breach checker that cannot answer fails closed by default, or open when configured")
    func breachCheckFailure() async throws {
        let unreachable = RemoteBreachChecker(baseURL: "http://127.0.0.1:9", timeout: .seconds(2))
        let closed = try await AccountFixture(.sqlite, checker: unreachable)
        await #expect(throws: AccountError.breachCheckUnavailable) { try await closed.service.signUp(email: closed.address("a"), password: AccountFixture.goodPassword) }
        try await closed.close()
        let open = try await AccountFixture(.sqlite, checker: unreachable) { $0.breachCheckFailOpen = true }
        try await open.service.signUp(email: open.address("a"), password: AccountFixture.goodPassword)
        try await open.close()
    }

    @Test("A breach threshold: a password counts as breached only above it")
    func breachThreshold() async throws {
        let fixture = try await AccountFixture(.sqlite) { $0.breachThreshold = 42 }
        try await fixture.service.signUp(email: fixture.address("a"), password: "password123")
        try await fixture.close()
    }

    @Test("Migrations run once: reopening keeps the data and the schema version", arguments: StoreKind.all)
    func reopeningKeepsData(kind: StoreKind) async throws {
        let fixture = try await AccountFixture(kind)
        let admin = try await fixture.administrator()
        let again = try await SQLAccountStore(database: fixture.store.database)
        let service = AccountService(store: again, breachChecker: fixture.breaches.checker, configuration: AccountFixture.testConfiguration(), clock: fixture.clock)
        #expect(try await service.authenticate(sessionToken: admin).role == .superAdministrator)
        let versions = try await fixture.store.database.transaction { connection in
            try await connection.query("SELECT version FROM schema_migrations", []).map { try $0.integer("version") }
        }
        #expect(versions == [1])
        try await fixture.close()
    }

    @Test("The PostgreSQL store is tested in CI", .enabled(if: ProcessInfo.processInfo.environment["CI"] != nil))
    func postgresIsConfiguredInCI() {
        #expect(StoreKind.postgresURL != nil, "set BREACHDB_TEST_POSTGRES_URL (tools/test.sh does)")
    }
}
