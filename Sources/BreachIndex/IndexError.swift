import LMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an index could not be opened, built or trusted.
public enum IndexError: Error, CustomStringConvertible, Sendable {
    /// No file at the path.
    case missing(path: String)
    /// The file is not a BreachDB index (not LMDB, or no BreachDB metadata).
    case notAnIndex(path: String, reason: String)
    /// The index was written by a format version this build does not read.
    case unsupportedFormat(path: String, version: Int)
    /// The file is an index but fails a structural or checksum check.
    case corrupt(path: String, detail: String)
    /// A compact index was asked for what needs whole hashes (an export, a compaction).
    case needsWholeHashes(path: String)
    /// Hashes were given to the writer out of order (a bug in the caller).
    case outOfOrder(path: String)
    /// An LMDB call failed.
    case lmdb(LMDBError)
    /// A file-system call failed.
    case system(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .missing(let path): "\(path): no such index file"
        case .notAnIndex(let path, let reason): "\(path): not a BreachDB index (\(reason))"
        case .unsupportedFormat(let path, let version):
            "\(path): index format version \(version) is not supported (this build reads versions \(IndexMetadata.readableFormatVersions.map(String.init).joined(separator: ", "))); rebuild it with this version's `breachdb ingest`"
        case .corrupt(let path, let detail): "\(path): index is damaged: \(detail)"
        case .needsWholeHashes(let path):
            "\(path): a compact index keeps only the first 64 bits of each hash, so it cannot be exported or compacted again; use the full index it was made from"
        case .outOfOrder(let path): "\(path): hashes were written out of order"
        case .lmdb(let error):
            error.isCorruption ? "\(error.path): not a valid index file (\(error))" : error.description
        case .system(let path, let operation, let code):
            "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}

/// Runs `body`, reporting an LMDB failure as ``IndexError/lmdb(_:)``.
@inline(__always) func mappingLMDBErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as LMDBError { throw IndexError.lmdb(error) }
}

extension Environment {
    /// Throws when the file is shorter than the pages its newest meta page names (an
    /// unfinished copy, a file cut off): reading the map past its end would crash the
    /// process (SIGBUS). Call it before the first transaction.
    func requireWhole(fileSize: Int) throws {
        let usedBytes = try usedBytes()
        guard usedBytes <= fileSize else {
            throw IndexError.corrupt(
                path: path,
                detail:
                    "the file is cut off: its pages need \(usedBytes) bytes, it has \(fileSize) (an unfinished copy?)")
        }
    }
}
