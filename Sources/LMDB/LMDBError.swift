import CLMDB

/// A failed LMDB call: the operation, the file it concerned, and LMDB's own code and text.
///
/// Codes worth knowing (from `lmdb.h`): `MDB_NOTFOUND` (no such key; the wrappers turn
/// it into `nil`), `MDB_MAP_FULL` (the map size is too small for the data),
/// `MDB_CORRUPTED` / `MDB_PAGE_NOTFOUND` (the file is damaged), `MDB_INVALID` (not an
/// LMDB file, or the wrong version), and any `errno` value from the operating system.
public struct LMDBError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let operation: String
    public let path: String

    public init(code: Int32, operation: String, path: String) {
        self.code = code
        self.operation = operation
        self.path = path
    }

    public var description: String {
        "\(path): \(operation) failed: \(String(cString: mdb_strerror(code))) (LMDB code \(code))"
    }

    /// `true` for `MDB_NOTFOUND`: no such key or named database.
    public var isNotFound: Bool { code == MDB_NOTFOUND }

    /// `true` when the file is not an LMDB file or is damaged.
    public var isCorruption: Bool {
        code == MDB_INVALID || code == MDB_CORRUPTED || code == MDB_PAGE_NOTFOUND || code == MDB_VERSION_MISMATCH
    }
}

@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String, _ path: String) throws {
    if code != 0 { throw LMDBError(code: code, operation: operation(), path: path) }
}
