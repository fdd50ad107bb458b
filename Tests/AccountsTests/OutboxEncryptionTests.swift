import AccountMail
import AccountTestSupport
import Accounts
import Foundation
import TestSupport
import Testing

@testable import AccountStorage

/// Secrets at rest: the outbox holds links and codes sealed (AES-GCM) under the store's
/// key until they are sent (issue 23, finding 4).
@Suite("Outbox encryption", .dropsTestDatabases, .accountTestTimeLimit)
struct OutboxEncryptionTests {
    /// Every text value of the outbox rows to `recipient`, as the database returns them.
    private func storedOutbox(_ fixture: AccountFixture, to recipient: String) async throws -> [String] {
        try await fixture.store.database.transaction { connection in
            try await connection.query("SELECT * FROM outbox WHERE recipient = ?", [.text(recipient)]).flatMap { row in
                row.values.values.compactMap { value -> String? in
                    if case .text(let text) = value { return text }
                    return nil
                }
            }
        }
    }

    /// The reset e-mail's row to `login`.
    private func resetRow(_ fixture: AccountFixture, _ login: String) async throws -> SQLRow {
        try #require(
            try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "SELECT body, last_error, sent_at FROM outbox WHERE recipient = ? AND subject LIKE 'Reset%'",
                    [.text(login)]
                ).first
            })
    }

    /// The bytes of the SQLite file and its WAL journal: what is on disk.
    private func sqliteFiles(_ fixture: AccountFixture) throws -> Data {
        let path = try #require(fixture.store.database as? SQLiteDatabase).path
        return try [path, path + "-wal"].reduce(into: Data()) { $0 += try Data(contentsOf: URL(fileURLWithPath: $1)) }
    }

    @Test(
        "R1: a reset link is not in the stored outbox row (nor, on SQLite, on disk), and the e-mail still carries a working link",
        arguments: StoreKind.all)
    func resetLinkIsSealed(kind: StoreKind) async throws {
        try await AccountFixture.withPendingReset("sealed", on: kind) { fixture, login in
            let stored = try await storedOutbox(fixture, to: login)
            let onDisk = kind == .sqlite ? try sqliteFiles(fixture) : Data()
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "Reset your")
            let token = try #require(mail.token(forPath: "reset-password"))
            #expect(!stored.contains { $0.contains(token) })
            #expect(!stored.contains { $0.contains("reset-password?token=") })
            #expect(onDisk.range(of: Data(token.utf8)) == nil)
            try await fixture.service.resetPassword(token: token, newPassword: "new-harbor-password-77")
            _ = try await fixture.signInThroughDeviceCheck(login, "new-harbor-password-77")
        }
    }

    @Test("A2, L3: activation links and device codes are sealed in the outbox too", arguments: StoreKind.all)
    func activationLinkAndDeviceCodeAreSealed(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let login = try await fixture.invite("invited", by: admin)
            let beforeActivation = try await storedOutbox(fixture, to: login)
            let token = try #require(
                try await fixture.onlyMail(to: login, subjectContaining: "Activate").token(forPath: "activate"))
            #expect(!beforeActivation.contains { $0.contains(token) })
            _ = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
            let challenge = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            let beforeCode = try await storedOutbox(fixture, to: login)
            let code = try #require(
                try await fixture.onlyMail(to: login, subjectContaining: "verification code").code)
            #expect(!beforeCode.contains { $0.contains(code) })
            _ = try await fixture.service.verifyDevice(challengeID: challenge, code: code)
        }
    }

    @Test(
        "R8: a node with another outbox key keeps the message unsent and says why; a node with the right key sends it",
        arguments: StoreKind.all)
    func wrongKeyKeepsTheMessage(kind: StoreKind) async throws {
        try await AccountFixture.withPendingReset("keyed", on: kind) { fixture, login in
            let otherKey = AccountSecretKey.generate()
            let wrong = SQLAccountStore(database: fixture.store.database, secretKey: otherKey)
            #expect(try await wrong.claimDueMessages(now: fixture.clock.now(), lease: .seconds(120), limit: 50).isEmpty)
            let row = try await resetRow(fixture, login)
            let error = try row.optionalText("last_error") ?? ""
            #expect(error.contains("sealed with the outbox key \(fixture.store.secretKey.identifier)"))
            #expect(error.contains("this node's key is \(otherKey.identifier)"))
            #expect(try !row.text("body").isEmpty)
            #expect(try row.optionalInteger("sent_at") == nil)
            #expect(try await fixture.store.pendingMessageCount() == 1)
            // The claim of the node with the wrong key lapses; the right node delivers.
            fixture.clock.advance(.seconds(121))
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "Reset your")
            try await fixture.service.resetPassword(
                token: try #require(mail.token(forPath: "reset-password")), newPassword: "new-harbor-password-77")
        }
    }

    @Test("A body altered in the database is refused as damaged, never sent", arguments: StoreKind.all)
    func alteredBodyIsRefused(kind: StoreKind) async throws {
        try await AccountFixture.withPendingReset("moved", on: kind) { fixture, login in
            // One bit of the sealed body flipped, as a disk or a hand might.
            try await fixture.store.database.transaction { connection in
                let sealed = try #require(
                    try await connection.query(
                        "SELECT body FROM outbox WHERE recipient = ? AND subject LIKE 'Reset%'", [.text(login)]
                    ).first?.text("body"))
                var bytes = try #require(Data(base64Encoded: sealed))
                bytes[bytes.count / 2] ^= 1
                try await connection.query(
                    "UPDATE outbox SET body = ? WHERE recipient = ? AND subject LIKE 'Reset%'",
                    [.text(bytes.base64EncodedString()), .text(login)])
            }
            #expect(try await fixture.mail(to: login).filter { $0.subject.contains("Reset") }.isEmpty)
            #expect(
                try await resetRow(fixture, login).optionalText("last_error")?.contains("altered or damaged") == true)
        }
    }

    @Test(
        "Upgrading to schema 3 seals unsent plain-text bodies (still delivered) and ends pending device challenges",
        arguments: StoreKind.all)
    func upgradeSealsOldRowsAndEndsOldChallenges(kind: StoreKind) async throws {
        try await AccountFixture.withActiveUser("old", on: kind) { fixture, login, _ in
            _ = try await fixture.deviceChallenge(login, AccountFixture.goodPassword)
            let plain = "Your link: https://app.example.test/reset-password?token=written-before-sealing"
            // The database as schema 2 left it: a plain body, no body_key, a pending challenge.
            try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "UPDATE outbox SET body = ? WHERE recipient = ? AND sent_at IS NULL", [.text(plain), .text(login)])
                try await connection.query("ALTER TABLE outbox DROP COLUMN body_key", [])
                // The steps after 3 undone too, so that they run again on top of it.
                try await connection.query("DROP INDEX audit_log_by_time", [])
                try await connection.query("ALTER TABLE audit_log DROP COLUMN client_address", [])
                try await connection.query("ALTER TABLE audit_log DROP COLUMN user_agent", [])
                try await connection.query("DELETE FROM schema_migrations WHERE version >= 3", [])
            }
            let upgraded = SQLAccountStore(database: fixture.store.database, secretKey: fixture.store.secretKey)
            try await upgraded.open()
            let stored = try await storedOutbox(fixture, to: login)
            #expect(!stored.contains { $0.contains("written-before-sealing") })
            let pending = try await fixture.store.database.transaction { connection in
                try await connection.query("SELECT COUNT(*) AS n FROM device_challenges WHERE used_at IS NULL", [])
                    .first?
                    .integer("n")
            }
            #expect(pending == 0)
            let mail = try await fixture.onlyMail(to: login, subjectContaining: "verification code")
            #expect(mail.body.contains("written-before-sealing"))
        }
    }

    @Test("A SQLite store without a key file makes PATH.key, readable by its owner only, and keeps using it")
    func sqliteMakesItsOwnKey() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("own.sqlite")
        let first = try await SQLAccountStore.withStore("sqlite:" + path) { $0.secretKey.identifier }
        let permissions = try #require(
            try FileManager.default.attributesOfItem(atPath: path + ".key")[.posixPermissions] as? Int)
        #expect(permissions == 0o600)
        let again = try await SQLAccountStore.withStore("sqlite:" + path) { $0.secretKey.identifier }
        #expect(first == again)
        #expect(try SecretKeyFile.read(path + ".key").identifier == first)
    }

    @Test("A key file that is not 32 bytes in base64 is refused, naming the file")
    func badKeyFileIsRefused() async throws {
        let directory = try TemporaryDirectory()
        for (name, content) in [("short.key", "c2hvcnQ=\n"), ("text.key", "not a key at all\n"), ("empty.key", "")] {
            let path = directory.file(name)
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SecretKeyFileError.self) { try SecretKeyFile.read(path) }
            #expect(error?.description.hasPrefix(path + ": ") == true)
            #expect(error?.description.contains("openssl rand -base64 32") == true)
        }
        let missing = #expect(throws: SecretKeyFileError.self) { try SecretKeyFile.read(directory.file("none.key")) }
        #expect(missing?.description == directory.file("none.key") + ": cannot read the file")
    }

    @Test("A key printed or logged shows its identifier, never its bytes")
    func keyIsNotPrinted() {
        let key = AccountSecretKey.generate()
        let secret = key.base64.trimmingCharacters(in: .whitespacesAndNewlines)
        for text in ["\(key)", String(reflecting: key)] {
            #expect(!text.contains(secret))
            #expect(text == "AccountSecretKey(\(key.identifier))")
        }
    }

    @Test("A PostgreSQL store needs a key: several nodes share it")
    func postgresNeedsAKey() async throws {
        let error = await #expect(throws: SQLStoreError.self) {
            _ = try await SQLAccountStore.make("postgres://breachdb@127.0.0.1:1/accounts")
        }
        #expect(error?.description.contains("needs a secret key that every node shares") == true)
    }
}
