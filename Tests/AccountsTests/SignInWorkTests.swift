import AccountStorage
import AccountTestSupport
import Accounts
import Synchronization
import Testing

/// An unknown login and a known one with a wrong password must cost the same, or timing
/// tells which addresses have accounts: the same Argon2 work and the same committed writes
/// (each write's fsync is a large part of a sign-in's time). These tests check the work;
/// the time itself is a benchmark (`tools/bench/run.sh signin`, docs/benchmarks.md), since
/// a timed test on a shared machine either fails on load or cannot fail.
@Suite("Sign-in work does not tell unknown logins apart", .dropsTestDatabases, .accountTestTimeLimit)
struct SignInWorkTests {
    /// An active user, "known", with no lockout and no reset e-mail, so that every wrong
    /// password is checked: `body` is given their login.
    private static func withKnownUser(
        _ kind: StoreKind, _ body: (AccountFixture, _ login: String) async throws -> Void
    ) async throws {
        try await AccountFixture.withActiveUser(
            "known", on: kind,
            configure: {
                $0.failuresBeforeLockout = 10_000
                $0.failuresBeforeResetEmail = 10_000
                $0.failuresBeforeResetRequired = 10_000
            }
        ) { fixture, login, _ in try await body(fixture, login) }
    }

    @Test(
        "An unknown login commits as many writes, in as many transactions, as a wrong password does",
        arguments: StoreKind.all)
    func unknownAndWrongWriteAlike(kind: StoreKind) async throws {
        try await Self.withKnownUser(kind) { fixture, login in
            let database = RecordingDatabase(fixture.store.database)
            let store = SQLAccountStore(database: database, secretKey: fixture.store.secretKey)
            try await store.open()
            let service = fixture.anotherService(store: store)
            /// The number of writes in each transaction that a wrong-password sign-in as `login` ran.
            func writesPerTransaction(signingIn login: String) async -> [Int] {
                _ = database.takeTransactions()
                await #expect(throws: AccountError.invalidCredentials) {
                    try await service.signIn(login: login, password: "wrong-password-work")
                }
                return database.takeTransactions().map { $0.filter(RecordingDatabase.isWrite).count }
            }
            let unknown = await writesPerTransaction(signingIn: fixture.address("nobody"))
            let wrong = await writesPerTransaction(signingIn: login)
            #expect(unknown == wrong, "unknown login \(unknown), wrong password \(wrong)")
            // A wrong password commits twice: the attempt's reservation before Argon2 (L2) and
            // the failure's record after it.
            #expect(wrong.filter { $0 > 0 }.count == 2, "\(wrong)")
        }
    }

    @Test(
        "An unknown login and a wrong password both wait for Argon2: with no room to hash, both are refused busy",
        arguments: StoreKind.all)
    func unknownAndWrongBothHash(kind: StoreKind) async throws {
        try await Self.withKnownUser(kind) { fixture, login in
            let service = fixture.anotherService { $0.hashingQueueLimit = 0 }
            for login in [fixture.address("nobody"), login] {
                let refusal = await #expect(throws: AccountError.self) {
                    try await service.signIn(login: login, password: "wrong-password-work")
                }
                #expect(refusal == .busy(retryAfterSeconds: 1), "\(login)")
            }
        }
    }
}

/// A database that records the statements of each transaction run through it, so that a
/// test can count the writes a request commits.
final class RecordingDatabase: SQLDatabase {
    private let base: any SQLDatabase
    private let transactions = Mutex<[[String]]>([])

    init(_ base: any SQLDatabase) { self.base = base }

    var dialect: SQLDialect { base.dialect }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        let number = transactions.withLock {
            $0.append([])
            return $0.count - 1
        }
        return try await base.transaction { connection in
            try await body(
                RecordingConnection(base: connection) { sql in
                    self.transactions.withLock { if number < $0.count { $0[number].append(sql) } }
                })
        }
    }

    func checkConnection() async throws { try await base.checkConnection() }
    func close() async throws { try await base.close() }

    /// The statements run since the last call, one list for each transaction.
    func takeTransactions() -> [[String]] {
        transactions.withLock { recorded in
            defer { recorded = [] }
            return recorded
        }
    }

    static func isWrite(_ statement: String) -> Bool {
        let verb = statement.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
        return ["INSERT", "UPDATE", "DELETE"].contains(verb)
    }
}

private struct RecordingConnection: SQLConnection {
    let base: any SQLConnection
    let record: @Sendable (String) -> Void

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        record(sql)
        return try await base.query(sql, binds)
    }
}
