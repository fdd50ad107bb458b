/// The schema, as numbered steps run in order on start. A step never changes once
/// released; a change is a new step. Types are the ones both databases share.
enum Migrations {
    static let steps: [[String]] = [
        // 1: accounts, one-time links, devices, sessions, outbox, audit log.
        [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                login TEXT NOT NULL UNIQUE,
                email TEXT NOT NULL,
                phone TEXT,
                role TEXT NOT NULL,
                authentication TEXT NOT NULL,
                status TEXT NOT NULL,
                password_hash TEXT,
                must_change_password INTEGER NOT NULL DEFAULT 0,
                failed_sign_ins INTEGER NOT NULL DEFAULT 0,
                locked_until BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE one_time_tokens (
                token_hash TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX one_time_tokens_by_account ON one_time_tokens (account_id, purpose)",
            """
            CREATE TABLE device_challenges (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                code_hash TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                failed_attempts INTEGER NOT NULL DEFAULT 0,
                used_at BIGINT
            )
            """,
            """
            CREATE TABLE known_devices (
                account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, token_hash)
            )
            """,
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sessions_by_account ON sessions (account_id)",
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                recipient TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                claimed_until BIGINT,
                sent_at BIGINT,
                last_error TEXT
            )
            """,
            "CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at)",
            """
            CREATE TABLE audit_log (
                id TEXT PRIMARY KEY,
                at BIGINT NOT NULL,
                account_id TEXT,
                kind TEXT NOT NULL,
                actor_id TEXT,
                detail TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_log_by_account ON audit_log (account_id, at)",
        ],
        // 2: when each device challenge was made (L3: challenges per account per hour),
        // when an outbox row's secret stops working (its body is dropped then), and the
        // outbox by recipient (mail per address per hour).
        [
            "ALTER TABLE device_challenges ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0",
            "CREATE INDEX device_challenges_by_account ON device_challenges (account_id, created_at)",
            "ALTER TABLE outbox ADD COLUMN expires_at BIGINT",
            "CREATE INDEX outbox_by_recipient ON outbox (recipient, created_at)",
        ],
        // 3: outbox bodies sealed under the store's key, named in body_key (NULL: a body
        // written before, plain text, which `SQLAccountStore.open` seals); device codes
        // stored as an HMAC bound to the client's challenge secret, so challenges made
        // before cannot be checked and end (their users sign in again for a new code).
        [
            "ALTER TABLE outbox ADD COLUMN body_key TEXT",
            "UPDATE device_challenges SET used_at = expires_at WHERE used_at IS NULL",
        ],
        // 4: where an administrator's action came from, and the audit log newest first
        // (the administrators' paged view).
        [
            "ALTER TABLE audit_log ADD COLUMN client_address TEXT",
            "ALTER TABLE audit_log ADD COLUMN user_agent TEXT",
            "CREATE INDEX audit_log_by_time ON audit_log (at, id)",
        ],
    ]

    /// Brings the schema up to date in one transaction; on PostgreSQL an advisory lock
    /// lets only one of several starting nodes migrate. Returns the version now in place.
    @discardableResult
    static func run(on database: any SQLDatabase, at now: Int64) async throws -> Int {
        let dialect = database.dialect
        return try await database.transaction { connection in
            if dialect == .postgres {
                try await connection.query("SELECT pg_advisory_xact_lock(8245001)", [])
            }
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                [])
            let current =
                try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", [])
                .first.map { try $0.integer("version") } ?? 0
            guard current <= steps.count else {
                throw SQLStoreError.schemaTooNew(found: Int(current), known: steps.count)
            }
            for version in stride(from: Int(current) + 1, through: steps.count, by: 1) {
                for statement in steps[version - 1] { try await connection.query(statement, []) }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(Int64(version)), .integer(now)])
            }
            return steps.count
        }
    }
}
