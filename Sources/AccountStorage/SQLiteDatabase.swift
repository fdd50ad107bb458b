import Foundation
import Logging
import NIOCore
import SQLiteNIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded store: one SQLite file (WAL journal), one connection, transactions
/// queued in process and `BEGIN IMMEDIATE` against other processes on the same file.
public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    private let closed = Mutex(false)

    public static func open(path: String, logger: Logger = Logger(label: "breachdb.accounts.sqlite")) async throws
        -> SQLiteDatabase
    {
        try createPrivately(path)
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            // WAL lets readers in other processes go on during a write; FULL syncs each
            // commit, so an acknowledged reset or outbox row survives a power cut.
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            _ = try await connection.query("PRAGMA synchronous = FULL", [])
            _ = try await connection.query("PRAGMA foreign_keys = ON", [])
            _ = try await connection.query("PRAGMA busy_timeout = 5000", [])
            // Deleted rows (used tokens, ended sessions, challenges) are overwritten with
            // zeros rather than left in free space (the WAL keeps old frames until a checkpoint).
            _ = try await connection.query("PRAGMA secure_delete = ON", [])
        } catch {
            try? await connection.close()
            throw error
        }
        return SQLiteDatabase(path: path, connection: connection)
    }

    /// Creates the file, if it does not exist, readable and writable by its owner only
    /// (it holds password hashes and, until sent, e-mails with links); SQLite gives its
    /// WAL and shared-memory files the database file's permissions.
    static func createPrivately(_ path: String) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            Glibc.close(descriptor)
        } else if errno != EEXIST {
            throw SQLStoreError.invalidLocation("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws
        -> T
    {
        try await lock.withLock {
            let executor = Executor(connection: connection)
            try await executor.query("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(executor)
                try await executor.query("COMMIT", [])
                return result
            } catch {
                _ = try? await executor.query("ROLLBACK", [])
                throw error
            }
        }
    }

    /// `open(path:)` reached the file already.
    public func checkConnection() async throws {}

    public func close() async throws {
        guard
            closed.withLock({ state in
                defer { state = true }
                return !state
            })
        else { return }
        try await connection.close()
    }

    /// A store dropped without ``close()`` (a caller that threw early) still releases
    /// its file instead of leaking the handle.
    deinit {
        if !closed.withLock({ $0 }) { _ = connection.close() as EventLoopFuture<Void> }
    }

    private struct Executor: SQLConnection {
        let connection: SQLiteConnection

        @discardableResult
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            let data: [SQLiteData] = binds.map {
                switch $0 {
                case .text(let text): .text(text)
                case .integer(let integer): .integer(Int(integer))
                case .null: .null
                }
            }
            return try await connection.query(sql, data).map { row in
                var values: [String: SQLValue] = [:]
                for column in row.columns {
                    switch column.data {
                    case .integer(let integer): values[column.name] = .integer(Int64(integer))
                    case .text(let text): values[column.name] = .text(text)
                    case .null: values[column.name] = .null
                    case .float(let double): values[column.name] = .integer(Int64(double))
                    case .blob(let buffer): values[column.name] = .text(String(buffer: buffer))
                    }
                }
                return SQLRow(values: values)
            }
        }
    }
}
