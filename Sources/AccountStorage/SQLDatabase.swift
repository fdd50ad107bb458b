import Foundation

/// A value bound into or read out of a statement. The schema keeps to text, 64-bit
/// integers and NULL so that one set of statements runs on SQLite and PostgreSQL.
public enum SQLValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case null
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    var values: [String: SQLValue]

    func text(_ column: String) throws -> String {
        guard case .text(let value)? = values[column] else { throw SQLStoreError.unexpectedValue(column: column) }
        return value
    }

    func optionalText(_ column: String) throws -> String? { try optional(column, text) }

    /// A stored name of one of `type`'s cases; a name this version does not know is an
    /// error, never a default (a default could grant or lift something by mistake).
    func value<Value: RawRepresentable>(_ type: Value.Type, _ column: String) throws -> Value
    where Value.RawValue == String {
        let text = try text(column)
        guard let value = Value(rawValue: text) else { throw SQLStoreError.unknownValue(column: column, value: text) }
        return value
    }

    func integer(_ column: String) throws -> Int64 {
        guard case .integer(let value)? = values[column] else { throw SQLStoreError.unexpectedValue(column: column) }
        return value
    }

    func optionalInteger(_ column: String) throws -> Int64? { try optional(column, integer) }

    /// `column` read by `read`, or nil where it holds NULL.
    private func optional<Value>(_ column: String, _ read: (String) throws -> Value) rethrows -> Value? {
        if case .null? = values[column] { return nil }
        return try read(column)
    }
}

public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// Runs statements inside a transaction. Statements use `?` placeholders; the
/// PostgreSQL driver numbers them.
public protocol SQLConnection: Sendable {
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// A database the account store runs on: SQLite (one file, the embedded default) or
/// PostgreSQL (several application nodes sharing state).
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T
    /// Fails with a clear error, credentials left out, when the database cannot be reached.
    func checkConnection() async throws
    func close() async throws
}

public enum SQLStoreError: Error, CustomStringConvertible {
    case unexpectedValue(column: String)
    /// A stored name (a role, a status, …) this version does not know.
    case unknownValue(column: String, value: String)
    /// An `--accounts` setting that names no supported database.
    case invalidLocation(String)
    /// The database was written by a newer version of this program.
    case schemaTooNew(found: Int, known: Int)
    /// A store shared by nodes (PostgreSQL) was opened without the key they share.
    case secretKeyRequired

    public var description: String {
        switch self {
        case .unexpectedValue(let column): "the account database returned an unexpected value in column \(column)"
        case .unknownValue(let column, let value):
            "the account database holds \"\(value.prefix(40))\" in column \(column), which this version does not know: upgrade breachdb"
        case .invalidLocation(let reason): reason
        case .schemaTooNew(let found, let known):
            "the account database has schema version \(found); this program knows up to \(known): upgrade breachdb"
        case .secretKeyRequired:
            "a PostgreSQL account store needs a secret key that every node shares (it seals the outbox and keys device codes)"
        }
    }
}

extension Date {
    /// Stored as integer milliseconds since 1970, the same on both databases.
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000) }
}
