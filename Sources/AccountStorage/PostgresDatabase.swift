import Accounts
import BreachSupport
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The shared store: a PostgreSQL connection pool (postgres-nio's `PostgresClient`),
/// so that several application nodes keep one set of accounts, sessions and outbox.
///
/// A `Service`: its `run()` runs the pool, in the application's service group (before
/// the services that use it, so that it stops after them) or in
/// `SQLAccountStore.withStore`'s scope. Queries wait until it runs (for ever if
/// nothing runs it).
public final class PostgresDatabase: SQLDatabase, Service {
    public let dialect = SQLDialect.postgres
    /// Internal for the tests' statements outside a transaction (CREATE DATABASE).
    let client: PostgresClient
    let running = Gate()
    private let location: String
    private let logger: Logger

    /// A pool for `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (`?host=/run/postgresql`
    /// for a Unix socket); it connects once it runs. `sslmode` as libpq reads it: `require`
    /// (the default: TLS or no connection, so no one on the path can downgrade it to plain
    /// text), `verify-ca` (and the certificate chains to a trusted root), `verify-full`
    /// (and names the host), or `disable` (plain text, for a server on loopback).
    public init(url: String, logger: Logger = Logger(label: "breachdb.accounts.postgres")) throws {
        client = PostgresClient(configuration: try Self.configuration(from: url), backgroundLogger: logger)
        location = redactedURL(url)
        self.logger = logger
    }

    /// Runs the pool until cancelled or shut down gracefully.
    public func run() async {
        // Opened right before the client's run() marks it running (its first step, with
        // no suspension in between): queries held at the gate reach a running pool.
        running.open()
        await client.run()
    }

    /// Fails with the (redacted) location when the server cannot be reached.
    public func checkConnection() async throws {
        do {
            try await running.wait()
            try await client.query("SELECT 1", logger: logger)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SQLStoreError.invalidLocation(
                "cannot connect to PostgreSQL at \(location): \(String(reflecting: error))")
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws
        -> T
    {
        try await running.wait()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(Executor(connection: connection, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            // The caller's own error (an account rule) comes back unwrapped once the
            // rollback went through.
            if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
            throw error
        }
    }

    /// Nothing to release here: the pool stops when its `run()` ends.
    public func close() async throws {}

    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme) else {
            throw SQLStoreError.invalidLocation(
                "not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE): \(redactedURL(url))")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let username = components.user ?? "postgres"
        let password = components.password
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : username
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            let port = components.port ?? 5432
            return .init(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        }
        let tls: PostgresClient.Configuration.TLS
        var verified = TLSConfiguration.makeClientConfiguration()
        switch query["sslmode"] ?? "require" {
        case "disable": tls = .disable
        case "require":
            // libpq's meaning: encrypted, the certificate not checked (verify-full does).
            verified.certificateVerification = .none
            tls = .require(verified)
        case "verify-ca":
            verified.certificateVerification = .noHostnameVerification
            tls = .require(verified)
        case "verify-full": tls = .require(verified)
        case let other:
            throw SQLStoreError.invalidLocation(
                "sslmode=\(other) in the PostgreSQL URL: use require (the default), verify-ca, verify-full or disable")
        }
        return .init(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5432,
            username: username, password: password, database: database, tls: tls)
    }

    private struct Executor: SQLConnection {
        let connection: PostgresConnection
        let logger: Logger

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            var bindings = PostgresBindings(capacity: binds.count)
            for value in binds {
                switch value {
                case .text(let text): bindings.append(text)
                case .integer(let integer): bindings.append(integer)
                case .null: bindings.appendNull()
                }
            }
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: Self.numberingPlaceholders(sql), binds: bindings), logger: logger)
            var result: [SQLRow] = []
            for try await row in rows {
                var values: [String: SQLValue] = [:]
                for cell in row {
                    if cell.bytes == nil {
                        values[cell.columnName] = .null
                    } else if [.int2, .int4, .int8].contains(cell.dataType) {
                        values[cell.columnName] = .integer(try cell.decode(Int64.self))
                    } else {
                        values[cell.columnName] = .text(try cell.decode(String.self))
                    }
                }
                result.append(SQLRow(values: values))
            }
            return result
        }

        /// `?` → `$1`, `$2`, … (the statements here hold no `?` inside quotes).
        static func numberingPlaceholders(_ sql: String) -> String {
            var output = "", number = 0
            for character in sql {
                if character == "?" {
                    number += 1
                    output += "$\(number)"
                } else {
                    output.append(character)
                }
            }
            return output
        }
    }
}
