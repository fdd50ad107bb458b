import CLMDB

/// An LMDB transaction. Values it returns point into the memory map and stay valid
/// until the transaction ends, which is what lets a reader keep pointers to its data.
public final class Transaction: @unchecked Sendable {
    /// A named database inside the environment (`MDB_dbi`).
    public struct Database: Sendable {
        let handle: MDB_dbi
    }

    /// Options for `mdb_put`.
    public struct PutFlags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `MDB_APPEND`: the key sorts after every key already stored. Bulk loads
        /// in key order fill pages completely; an out-of-order key fails with
        /// `MDB_KEYEXIST`.
        public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    }

    let handle: OpaquePointer
    let environment: Environment
    private var finished = false

    init(environment: Environment, readOnly: Bool) throws {
        var txn: OpaquePointer?
        try check(
            mdb_txn_begin(environment.handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn),
            "mdb_txn_begin", environment.path)
        self.handle = txn!
        self.environment = environment
    }

    deinit { if !finished { mdb_txn_abort(handle) } }

    /// Opens the named database; `create` makes it when missing (write transactions only).
    public func database(named name: String, create: Bool = false) throws -> Database {
        var dbi: MDB_dbi = 0
        try check(
            mdb_dbi_open(handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi),
            "opening database '\(name)'", environment.path)
        return Database(handle: dbi)
    }

    /// The value stored under `key`, or `nil`; valid until the transaction ends.
    public func value(forKey key: UnsafeRawBufferPointer, in database: Database) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, database.handle, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get", environment.path)
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    public func value(forKey key: String, in database: Database) throws -> UnsafeRawBufferPointer? {
        var key = key
        return try key.withUTF8 { (buffer) throws in
            try value(forKey: UnsafeRawBufferPointer(buffer), in: database)
        }
    }

    public func put(
        _ value: UnsafeRawBufferPointer, forKey key: UnsafeRawBufferPointer, in database: Database, flags: PutFlags = []
    ) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(handle, database.handle, &k, &v, flags.rawValue), "mdb_put", environment.path)
    }

    public func put(_ value: [UInt8], forKey key: String, in database: Database) throws {
        var key = key
        try key.withUTF8 { (k) throws in
            try value.withUnsafeBytes { (v) throws in
                try put(v, forKey: UnsafeRawBufferPointer(k), in: database)
            }
        }
    }

    /// Removes `key` from `database`; a missing key is not an error.
    public func removeValue(forKey key: String, in database: Database) throws {
        var key = key
        try key.withUTF8 { (buffer) throws in
            var k = MDB_val(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
            let rc = mdb_del(handle, database.handle, &k, nil)
            if rc != MDB_NOTFOUND { try check(rc, "mdb_del", environment.path) }
        }
    }

    /// Calls `body` with every key and value of `database` in key order.
    public func forEach(in database: Database, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void)
        throws
    {
        try forEach(in: database, from: nil) { key, value in
            try body(key, value)
            return true
        }
    }

    /// Calls `body` with the keys and values of `database` in key order, from the first
    /// key not below `start` (`nil`: the first key), until `body` returns `false`.
    public func forEach(
        in database: Database, from start: UnsafeRawBufferPointer?,
        while body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, database.handle, &cursor), "mdb_cursor_open", environment.path)
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val(mv_size: start?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: start?.baseAddress))
        var v = MDB_val()
        var op = start == nil ? MDB_FIRST : MDB_SET_RANGE
        while true {
            let rc = mdb_cursor_get(cursor, &k, &v, op)
            if rc == MDB_NOTFOUND { return }
            try check(rc, "mdb_cursor_get", environment.path)
            guard
                try body(
                    UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                    UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            else { return }
            op = MDB_NEXT
        }
    }

    public func commit() throws {
        finished = true
        try check(mdb_txn_commit(handle), "mdb_txn_commit", environment.path)
    }

    public func abort() {
        if !finished { mdb_txn_abort(handle) }
        finished = true
    }
}
