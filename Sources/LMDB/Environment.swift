import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

/// An LMDB environment: one memory-mapped file holding named databases.
///
/// Thread safety: an environment may be shared between threads. A write transaction
/// belongs to one thread; read transactions opened with ``Flags/noThreadLocalStorage``
/// may be handed between threads but not used by two at once.
public final class Environment: @unchecked Sendable {
    /// Options for `mdb_env_open`, as documented in `lmdb.h`.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `MDB_NOSUBDIR`: the path names the data file itself, not a directory.
        public static let noSubdirectory = Flags(rawValue: UInt32(MDB_NOSUBDIR))
        /// `MDB_RDONLY`: open read-only; no write transaction is allowed.
        public static let readOnly = Flags(rawValue: UInt32(MDB_RDONLY))
        /// `MDB_NOLOCK`: no lock file. Safe only when the caller guarantees one writer
        /// and no concurrent readers of a changing file (a finished index, or a private
        /// temporary file being built).
        public static let noLock = Flags(rawValue: UInt32(MDB_NOLOCK))
        /// `MDB_NOSYNC`: no fsync at commit (bulk writing); a commit that must survive a
        /// power cut goes through ``Environment/withDurableCommits(_:)``.
        public static let noSync = Flags(rawValue: UInt32(MDB_NOSYNC))
        /// `MDB_NOTLS`: read transactions are not tied to a thread.
        public static let noThreadLocalStorage = Flags(rawValue: UInt32(MDB_NOTLS))
        /// `MDB_NORDAHEAD`: no read-ahead on the map (random-access workloads larger than RAM).
        public static let noReadAhead = Flags(rawValue: UInt32(MDB_NORDAHEAD))
    }

    let handle: OpaquePointer
    public let path: String

    /// Opens the environment at `path`.
    /// - Parameters:
    ///   - mapSize: the largest the data may grow to; `nil` keeps what the file records.
    ///   - maxDatabases: how many named databases may be opened.
    public init(path: String, flags: Flags, mapSize: Int? = nil, maxDatabases: Int = 4) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create", path)
        guard let env else { throw LMDBError(code: 12 /* ENOMEM */, operation: "mdb_env_create", path: path) }
        do {
            if let mapSize { try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize", path) }
            try check(mdb_env_set_maxdbs(env, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs", path)
            try check(mdb_env_open(env, path, flags.rawValue, 0o644), "opening the LMDB file", path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
    }

    deinit { mdb_env_close(handle) }

    /// Runs `body` (a commit) with ``Flags/noSync`` lifted, when the environment was opened
    /// with it: LMDB then syncs the data pages *before* it writes the meta page that names
    /// them, and the meta page after. A commit followed by `mdb_env_sync` has a window in
    /// which a power cut can leave a meta page on disk whose pages are not: a torn file.
    public func withDurableCommits<Result>(_ body: () throws -> Result) throws -> Result {
        var flags: UInt32 = 0
        try check(mdb_env_get_flags(handle, &flags), "mdb_env_get_flags", path)
        guard flags & UInt32(MDB_NOSYNC) != 0 else { return try body() }
        try check(mdb_env_set_flags(handle, UInt32(MDB_NOSYNC), 0), "mdb_env_set_flags", path)
        defer { mdb_env_set_flags(handle, UInt32(MDB_NOSYNC), 1) }
        return try body()
    }

    /// How many bytes the data pages span, up to the last page the newest meta page names
    /// (`mdb_env_info`, `mdb_env_stat`): a file shorter than that was cut off, and reading
    /// its map past the end would crash the process.
    public func usedBytes() throws -> Int {
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "mdb_env_info", path)
        var status = MDB_stat()
        try check(mdb_env_stat(handle, &status), "mdb_env_stat", path)
        return (Int(info.me_last_pgno) + 1) * Int(status.ms_psize)
    }

    /// Unmaps the file's pages from this process (`madvise(MADV_DONTNEED)` over its maps), as
    /// a long writer may after a commit: the pages its transactions read stay mapped (as 2 MiB
    /// folios where the file system makes them) and count in its resident memory until then.
    /// Reads fault them in again from the page cache.
    public func dropMappedPages() {
        #if os(Linux)
            advise(MADV_DONTNEED)
        #endif
    }

    /// Gives `advice` (`madvise`) for every map of the file in this process, each over its own
    /// range (as `/proc/self/maps` lists them: advice can split a map). LMDB does not tell
    /// where its map is (`me_mapaddr` is only set for fixed maps), so the maps are found there
    /// by the file's path (Linux only; elsewhere this does nothing). Another environment's map
    /// of the same file, as a reload of an unchanged index has, gets the advice too: fine for
    /// advice about the file's pages, never past a map's end.
    public func advise(_ advice: Int32) {
        #if os(Linux)
            guard let resolved = realpath(path, nil) else { return }
            let suffix = " " + String(cString: resolved) + "\n"
            free(resolved)
            guard let maps = fopen("/proc/self/maps", "r") else { return }
            defer { fclose(maps) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, maps) > 0, let line {
                // "start-end perms offset device inode path"
                let text = String(cString: line)
                guard text.hasSuffix(suffix), let range = text.split(separator: " ").first,
                    let dash = range.firstIndex(of: "-"), let start = UInt(range[..<dash], radix: 16),
                    let end = UInt(range[range.index(after: dash)...], radix: 16), end > start
                else { continue }
                _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), advice)
            }
        #endif
    }

    /// Starts a read-only transaction (`MDB_RDONLY`).
    public func readTransaction() throws -> Transaction {
        try Transaction(environment: self, readOnly: true)
    }

    /// Starts the (single) write transaction.
    public func writeTransaction() throws -> Transaction {
        try Transaction(environment: self, readOnly: false)
    }
}
