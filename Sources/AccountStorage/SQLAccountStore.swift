import Accounts
import BreachSupport
import Foundation
import Logging
import ServiceLifecycle

/// The account store on SQL: one set of statements for SQLite and PostgreSQL.
public final class SQLAccountStore: AccountStore, OutboxStore, AuditLog {
    public let database: any SQLDatabase
    public let secretKey: AccountSecretKey
    private let sealing: OutboxSealing
    private let logger: Logger
    private let opening = AsyncLock()

    /// The store at `location` (`sqlite:PATH` or a `postgres://` URL), not yet open, and
    /// the service its database needs running (PostgreSQL's connection pool), if any:
    /// run it, then `open()` the store.
    ///
    /// `secretKey` seals the outbox and keys device codes; every node of a store must
    /// have the same one. Without it, a SQLite store uses the key in `PATH.key`, made
    /// (0600) when there is none; a PostgreSQL store, shared by nodes, needs it given.
    public static func make(
        _ location: String, secretKey: AccountSecretKey? = nil, logger: Logger = Logger(label: "breachdb.accounts")
    ) async throws -> (
        store: SQLAccountStore, service: (any Service)?
    ) {
        if location.hasPrefix("sqlite:") {
            let path = String(location.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw SQLStoreError.invalidLocation(
                    "sqlite: needs a file path, as in sqlite:/var/lib/breachdb/accounts.sqlite")
            }
            let key = try secretKey ?? SecretKeyFile.readOrCreate(path + ".key")
            let database = try await SQLiteDatabase.open(path: path, logger: logger)
            return (SQLAccountStore(database: database, secretKey: key, logger: logger), nil)
        }
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            guard let secretKey else { throw SQLStoreError.secretKeyRequired }
            let database = try PostgresDatabase(url: location, logger: logger)
            return (SQLAccountStore(database: database, secretKey: secretKey, logger: logger), database)
        }
        throw SQLStoreError.invalidLocation(
            "unknown account store \"\(redactedURL(location))\": use sqlite:PATH or postgres://USER:PASSWORD@HOST/DATABASE"
        )
    }

    /// Runs `body` with the store at `location` open, its database's service (if any) in
    /// a child task for the scope: for commands and callers without a service group.
    public static func withStore<T>(
        _ location: String, secretKey: AccountSecretKey? = nil, logger: Logger = Logger(label: "breachdb.accounts"),
        _ body: (SQLAccountStore) async throws -> T
    ) async throws -> T {
        let (store, service) = try await make(location, secretKey: secretKey, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            if let service { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            do {
                try await store.open()
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }
    }

    /// A store on `database` with its key; `open()` it before use.
    public init(
        database: any SQLDatabase, secretKey: AccountSecretKey, logger: Logger = Logger(label: "breachdb.accounts")
    ) {
        self.database = database
        self.secretKey = secretKey
        sealing = OutboxSealing(key: secretKey)
        self.logger = logger
    }

    /// Checks the connection and brings the schema up to date. Callers that need the
    /// store ready (the server before it listens, the outbox dispatcher) each call it;
    /// the lock lets one migrate and the others find the schema current. A graceful
    /// shutdown (SIGTERM) while it waits for an unreachable server ends the wait at once
    /// with `CancellationError`, rather than after the pool gives up.
    public func open() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.opening.withLock {
                try await self.database.checkConnection()
                try await Migrations.run(on: self.database, at: Date().milliseconds)
                try await self.sealPlainBodies()
            }
        }
    }

    /// Seals the bodies of unsent messages written before the outbox was sealed (schema
    /// 3). Each update is conditional, so nodes that open at once seal a row once.
    private func sealPlainBodies() async throws {
        let sealing = sealing
        try await database.transaction { connection in
            let rows = try await connection.query(
                "SELECT id, body FROM outbox WHERE body_key IS NULL AND sent_at IS NULL AND body <> ''", [])
            for row in rows {
                let id = try row.text("id")
                try await connection.query(
                    "UPDATE outbox SET body = ?, body_key = ? WHERE id = ? AND body_key IS NULL",
                    [
                        .text(try sealing.seal(try row.text("body"), messageID: id)), .text(sealing.key.identifier),
                        .text(id),
                    ])
            }
        }
    }

    public func close() async throws { try await database.close() }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any AccountTransaction) async throws -> T)
        async throws -> T
    {
        let dialect = database.dialect
        let sealing = sealing
        return try await database.transaction { connection in
            try await body(SQLAccountTransaction(connection: connection, dialect: dialect, sealing: sealing))
        }
    }

    // MARK: OutboxStore

    public func claimDueMessages(now: Date, lease: Duration, limit: Int) async throws -> [OutgoingMessage] {
        let nowMS = now.milliseconds
        let leaseEnd = now.addingTimeInterval(lease.timeInterval).milliseconds
        let dialect = database.dialect
        let (sealing, logger) = (sealing, logger)
        return try await database.transaction { connection in
            try await SQLAccountTransaction(connection: connection, dialect: dialect, sealing: sealing)
                .dropExpiredSecrets(at: now)
            let candidates = try await connection.query(
                """
                SELECT id FROM outbox
                WHERE sent_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) AND body <> ''
                ORDER BY created_at LIMIT ?
                """, [.integer(nowMS), .integer(nowMS), .integer(Int64(limit))])
            var claimed: [OutgoingMessage] = []
            for candidate in candidates {
                // The conditional update is the claim: of two dispatchers, one gets the row.
                let rows = try await connection.query(
                    """
                    UPDATE outbox SET claimed_until = ?
                    WHERE id = ? AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?)
                    RETURNING id, channel, recipient, subject, body, body_key, created_at, attempts
                    """, [.integer(leaseEnd), .text(try candidate.text("id")), .integer(nowMS)])
                for row in rows {
                    let id = try row.text("id")
                    let body: String
                    do {
                        // Plain: written by a node of the previous version during a rolling
                        // upgrade, after this one's `open` sealed what was there.
                        body =
                            try row.optionalText("body_key").map {
                                try sealing.open(try row.text("body"), keyIdentifier: $0, messageID: id)
                            } ?? row.text("body")
                    } catch let error as OutboxSealingError {
                        // Kept, sealed and claimed for the lease: a node with the right key
                        // takes it after that; the reason is on the row and in the log.
                        try await connection.query(
                            "UPDATE outbox SET last_error = ? WHERE id = ?", [.text("\(error)"), .text(id)])
                        logger.error(
                            "outbox: cannot open a message", metadata: ["message": "\(id)", "error": "\(error)"])
                        continue
                    }
                    claimed.append(
                        OutgoingMessage(
                            id: id, channel: try row.value(OutgoingMessage.Channel.self, "channel"),
                            recipient: try row.text("recipient"), subject: try row.text("subject"), body: body,
                            createdAt: Date(milliseconds: try row.integer("created_at")),
                            attempts: Int(try row.integer("attempts"))))
                }
            }
            return claimed
        }
    }

    public func markSent(messageID: String, at date: Date) async throws {
        try await database.transaction { connection in
            try await connection.query(
                "UPDATE outbox SET sent_at = ?, body = '', attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = ?",
                [.integer(date.milliseconds), .text(messageID)])
        }
    }

    public func markFailed(messageID: String, error: String, retryAt: Date) async throws {
        try await database.transaction { connection in
            try await connection.query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
                [.integer(retryAt.milliseconds), .text(String(error.prefix(500))), .text(messageID)])
        }
    }

    public func pendingMessageCount() async throws -> Int {
        try await database.transaction { connection in
            Int(
                try await connection.query(
                    "SELECT COUNT(*) AS pending FROM outbox WHERE sent_at IS NULL AND body <> ''", []
                ).first?.integer("pending") ?? 0)
        }
    }

    // MARK: AuditLog

    public func auditEvents(accountID: AccountID) async throws -> [AuditEvent] {
        try await database.transaction { connection in
            try await connection.query(
                "SELECT \(SQLAccountTransaction.auditColumns) FROM audit_log WHERE account_id = ? ORDER BY at, id",
                [.id(accountID)]
            ).map(SQLAccountTransaction.auditEvent)
        }
    }
}

/// The account operations as statements. Counters change by `x = x + 1 … RETURNING`
/// and one-time things by `UPDATE … WHERE used_at IS NULL`, so that concurrent
/// transactions on either database count exactly and use a token once.
struct SQLAccountTransaction: AccountTransaction {
    let connection: any SQLConnection
    let dialect: SQLDialect
    let sealing: OutboxSealing

    /// The seed of the advisory locks on outbox addresses (apart from the migrations' lock).
    private static let outboxLockSeed = 8_245_002

    private static let accountColumns =
        "id, login, email, phone, role, authentication, status, password_hash, must_change_password, failed_sign_ins, locked_until, created_at"

    private func exec(_ sql: String, _ binds: [SQLValue]) async throws {
        try await connection.query(sql, binds)
    }

    func insert(_ account: Account) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO accounts (\(Self.accountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (login) DO NOTHING RETURNING id
            """,
            [
                .id(account.id), .text(account.login), .text(account.email), optional(account.phone),
                .text(account.role.rawValue),
                .text(account.authentication.rawValue), .text(account.status.rawValue), optional(account.passwordHash),
                .integer(account.mustChangePassword ? 1 : 0), .integer(Int64(account.failedSignIns)),
                optional(account.lockedUntil?.milliseconds), .integer(account.createdAt.milliseconds),
            ])
        return !rows.isEmpty
    }

    func account(login: String) async throws -> Account? {
        try await connection.query("SELECT \(Self.accountColumns) FROM accounts WHERE login = ?", [.text(login)]).first
            .map(Self.account)
    }

    func account(id: AccountID) async throws -> Account? {
        try await connection.query("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?", [.id(id)]).first.map(
            Self.account)
    }

    func accounts(containing text: String, limit: Int) async throws -> [Account] {
        // LIKE's wildcards in the search text match themselves.
        let pattern =
            "%"
            + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await connection.query(
            """
            SELECT \(Self.accountColumns) FROM accounts
            WHERE lower(login) LIKE ? ESCAPE '\\' OR lower(email) LIKE ? ESCAPE '\\' ORDER BY login LIMIT ?
            """, [.text(pattern), .text(pattern), .integer(Int64(limit))]
        ).map(Self.account)
    }

    func lockedAccount(id: AccountID) async throws -> Account? {
        // SQLite's transactions already hold the whole database (BEGIN IMMEDIATE).
        let lock = dialect == .postgres ? " FOR UPDATE" : ""
        return try await connection.query("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?\(lock)", [.id(id)])
            .first.map(Self.account)
    }

    private static func account(_ row: SQLRow) throws -> Account {
        Account(
            id: try row.accountID("id"), login: try row.text("login"), email: try row.text("email"),
            phone: try row.optionalText("phone"),
            role: try row.value(Role.self, "role"),
            authentication: try row.value(AuthenticationMethod.self, "authentication"),
            status: try row.value(AccountStatus.self, "status"),
            passwordHash: try row.optionalText("password_hash"),
            mustChangePassword: try row.integer("must_change_password") != 0,
            failedSignIns: Int(try row.integer("failed_sign_ins")),
            lockedUntil: try row.optionalInteger("locked_until").map(Date.init(milliseconds:)),
            createdAt: Date(milliseconds: try row.integer("created_at")))
    }

    func setPassword(accountID: AccountID, hash: String, mustChange: Bool) async throws {
        try await exec(
            "UPDATE accounts SET password_hash = ?, must_change_password = ? WHERE id = ?",
            [.text(hash), .integer(mustChange ? 1 : 0), .id(accountID)])
    }

    func setStatus(accountID: AccountID, _ status: AccountStatus) async throws {
        try await exec("UPDATE accounts SET status = ? WHERE id = ?", [.text(status.rawValue), .id(accountID)])
    }

    func setRole(accountID: AccountID, _ role: Role) async throws {
        try await exec("UPDATE accounts SET role = ? WHERE id = ?", [.text(role.rawValue), .id(accountID)])
    }

    func reserveAttempt(accountID: AccountID, failures: Int, lockedUntil: Date?, cap: Int, at now: Date) async throws
        -> Bool
    {
        !(try await connection.query(
            """
            UPDATE accounts SET failed_sign_ins = failed_sign_ins + 1, locked_until = ?
            WHERE id = ? AND failed_sign_ins = ? AND failed_sign_ins < ? AND (locked_until IS NULL OR locked_until <= ?)
            RETURNING failed_sign_ins
            """,
            [
                optional(lockedUntil?.milliseconds), .id(accountID), .integer(Int64(failures)), .integer(Int64(cap)),
                .integer(now.milliseconds),
            ]
        ).isEmpty)
    }

    func releaseAttempt(accountID: AccountID, attempt: Int) async throws {
        try await exec(
            "UPDATE accounts SET failed_sign_ins = failed_sign_ins - 1, locked_until = NULL WHERE id = ? AND failed_sign_ins = ?",
            [.id(accountID), .integer(Int64(attempt))])
    }

    func clearFailedSignIns(accountID: AccountID) async throws {
        try await exec("UPDATE accounts SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?", [.id(accountID)])
    }

    func insertToken(hash: TokenHash, purpose: TokenPurpose, accountID: AccountID, createdAt: Date, expiresAt: Date)
        async throws
    {
        try await exec(
            "INSERT INTO one_time_tokens (token_hash, purpose, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [
                .hash(hash), .text(purpose.rawValue), .id(accountID), .integer(createdAt.milliseconds),
                .integer(expiresAt.milliseconds),
            ])
    }

    func revokeTokens(accountID: AccountID, purpose: TokenPurpose, at date: Date) async throws {
        try await exec(
            "UPDATE one_time_tokens SET used_at = ? WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
            [.integer(date.milliseconds), .id(accountID), .text(purpose.rawValue)])
    }

    func consumeToken(hash: TokenHash, purpose: TokenPurpose, at date: Date) async throws -> AccountID? {
        try await connection.query(
            """
            UPDATE one_time_tokens SET used_at = ?
            WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
            RETURNING account_id
            """, [.integer(date.milliseconds), .hash(hash), .text(purpose.rawValue), .integer(date.milliseconds)]
        ).first.map { try $0.accountID("account_id") }
    }

    func isUsableToken(hash: TokenHash, purpose: TokenPurpose, at date: Date) async throws -> Bool {
        !(try await connection.query(
            "SELECT 1 AS usable FROM one_time_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
            [.hash(hash), .text(purpose.rawValue), .integer(date.milliseconds)]
        ).isEmpty)
    }

    func hasUsableToken(accountID: AccountID, purpose: TokenPurpose, at date: Date) async throws -> Bool {
        !(try await connection.query(
            "SELECT 1 AS usable FROM one_time_tokens WHERE account_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? LIMIT 1",
            [.id(accountID), .text(purpose.rawValue), .integer(date.milliseconds)]
        ).isEmpty)
    }

    func insert(_ challenge: DeviceChallenge) async throws {
        try await exec(
            "INSERT INTO device_challenges (id, account_id, code_hash, created_at, expires_at, failed_attempts) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(challenge.id), .id(challenge.accountID), .hash(challenge.codeHash),
                .integer(challenge.createdAt.milliseconds),
                .integer(challenge.expiresAt.milliseconds), .integer(Int64(challenge.tries)),
            ])
    }

    func reserveTry(challengeID: String, maximumTries: Int, at now: Date) async throws -> DeviceChallenge? {
        // The column keeps its first name; it counts every try, reserved before the compare.
        try await connection.query(
            """
            UPDATE device_challenges SET failed_attempts = failed_attempts + 1
            WHERE id = ? AND used_at IS NULL AND expires_at > ? AND failed_attempts < ?
            RETURNING id, account_id, code_hash, created_at, expires_at, failed_attempts, used_at
            """, [.text(challengeID), .integer(now.milliseconds), .integer(Int64(maximumTries))]
        ).first.map { row in
            DeviceChallenge(
                id: try row.text("id"), accountID: try row.accountID("account_id"),
                codeHash: try row.tokenHash("code_hash"),
                createdAt: Date(milliseconds: try row.integer("created_at")),
                expiresAt: Date(milliseconds: try row.integer("expires_at")),
                tries: Int(try row.integer("failed_attempts")),
                usedAt: try row.optionalInteger("used_at").map(Date.init(milliseconds:)))
        }
    }

    func challengeCount(accountID: AccountID, since date: Date) async throws -> Int {
        Int(
            try await connection.query(
                "SELECT COUNT(*) AS made FROM device_challenges WHERE account_id = ? AND created_at >= ?",
                [.id(accountID), .integer(date.milliseconds)]
            ).first?.integer("made") ?? 0)
    }

    func revokeChallenges(accountID: AccountID, at date: Date) async throws {
        try await exec(
            "UPDATE device_challenges SET used_at = ? WHERE account_id = ? AND used_at IS NULL",
            [.integer(date.milliseconds), .id(accountID)])
    }

    func consumeChallenge(id: String, at date: Date) async throws -> Bool {
        !(try await connection.query(
            "UPDATE device_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING id",
            [.integer(date.milliseconds), .text(id)]
        ).isEmpty)
    }

    func isKnownDevice(accountID: AccountID, tokenHash: TokenHash, since date: Date) async throws -> Bool {
        !(try await connection.query(
            "SELECT 1 AS known FROM known_devices WHERE account_id = ? AND token_hash = ? AND created_at >= ?",
            [.id(accountID), .hash(tokenHash), .integer(date.milliseconds)]
        ).isEmpty)
    }

    func forgetDevices(accountID: AccountID) async throws {
        try await exec("DELETE FROM known_devices WHERE account_id = ?", [.id(accountID)])
    }

    func rememberDevice(accountID: AccountID, tokenHash: TokenHash, at date: Date) async throws {
        try await exec(
            """
            INSERT INTO known_devices (account_id, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (account_id, token_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at
            """, [.id(accountID), .hash(tokenHash), .integer(date.milliseconds), .integer(date.milliseconds)])
    }

    func insert(_ session: StoredSession) async throws {
        try await exec(
            "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [
                .hash(session.tokenHash), .id(session.accountID), .integer(session.createdAt.milliseconds),
                .integer(session.lastSeenAt.milliseconds), .integer(session.expiresAt.milliseconds),
            ])
    }

    func session(tokenHash: TokenHash) async throws -> StoredSession? {
        try await connection.query(
            "SELECT token_hash, account_id, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = ?",
            [.hash(tokenHash)]
        ).first.map { row in
            StoredSession(
                tokenHash: try row.tokenHash("token_hash"), accountID: try row.accountID("account_id"),
                createdAt: Date(milliseconds: try row.integer("created_at")),
                lastSeenAt: Date(milliseconds: try row.integer("last_seen_at")),
                expiresAt: Date(milliseconds: try row.integer("expires_at")))
        }
    }

    func touchSession(tokenHash: TokenHash, at date: Date) async throws {
        try await exec(
            "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
            [.integer(date.milliseconds), .hash(tokenHash)])
    }

    func deleteSession(tokenHash: TokenHash) async throws {
        try await exec("DELETE FROM sessions WHERE token_hash = ?", [.hash(tokenHash)])
    }

    func deleteSessions(accountID: AccountID, keeping kept: TokenHash?) async throws {
        try await exec(
            "DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?", [.id(accountID), .text(kept?.hex ?? "")])
    }

    /// The body is sealed (``OutboxSealing``): links and codes are not on disk in plain text.
    func enqueue(_ message: OutgoingMessage) async throws {
        try await dropExpiredSecrets(at: message.createdAt)
        try await exec(
            """
            INSERT INTO outbox (id, channel, recipient, subject, body, body_key, created_at, next_attempt_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(message.id), .text(message.channel.rawValue), .text(message.recipient), .text(message.subject),
                .text(try sealing.seal(message.body, messageID: message.id)), .text(sealing.key.identifier),
                .integer(message.createdAt.milliseconds), .integer(message.createdAt.milliseconds),
                optional(message.expiresAt?.milliseconds),
            ])
    }

    func messageCount(to recipient: String, since date: Date) async throws -> Int {
        if dialect == .postgres {
            // Read committed would let two transactions count the same rows and both
            // insert: the address is locked first, until this transaction ends, and the
            // count (a statement of its own, so a snapshot taken after the lock) sees
            // what the transaction before it committed. SQLite's transactions already
            // hold the whole database.
            try await exec(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, \(Self.outboxLockSeed)))", [.text(recipient)])
        }
        return Int(
            try await connection.query(
                "SELECT COUNT(*) AS queued FROM outbox WHERE recipient = ? AND created_at >= ?",
                [.text(recipient), .integer(date.milliseconds)]
            ).first?.integer("queued") ?? 0)
    }

    /// Blanks the body of every unsent message whose secret has expired: it is never
    /// sent, and the database stops holding it. Run on each enqueue and dispatch, so
    /// it happens also where no mail server is configured.
    func dropExpiredSecrets(at date: Date) async throws {
        try await exec(
            """
            UPDATE outbox SET body = '', last_error = 'expired before delivery'
            WHERE sent_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ? AND body <> ''
            """, [.integer(date.milliseconds)])
    }

    func append(_ event: AuditEvent) async throws {
        try await exec(
            """
            INSERT INTO audit_log (id, at, account_id, kind, actor_id, detail, client_address, user_agent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(makeIdentifier()), .integer(event.at.milliseconds), optional(event.accountID?.rawValue),
                .text(event.kind.rawValue), optional(event.actorID?.rawValue), .text(event.detail),
                optional(event.origin.clientAddress), optional(event.origin.userAgent),
            ])
    }

    static let auditColumns = "at, account_id, kind, actor_id, detail, client_address, user_agent"

    static func auditEvent(_ row: SQLRow) throws -> AuditEvent {
        AuditEvent(
            at: Date(milliseconds: try row.integer("at")),
            accountID: try row.optionalText("account_id").map(AccountID.init),
            kind: try row.value(AuditEvent.Kind.self, "kind"),
            actorID: try row.optionalText("actor_id").map(AccountID.init), detail: try row.text("detail"),
            origin: RequestOrigin(
                clientAddress: try row.optionalText("client_address"), userAgent: try row.optionalText("user_agent")))
    }

    func auditEntries(before: String?, limit: Int) async throws -> [AuditEntry] {
        // Newest first by time, then id; `before` is the last entry of the previous page.
        let columns = Self.auditColumns.split(separator: ", ").map { "e.\($0)" }.joined(separator: ", ")
        let after = before == nil ? "" : "WHERE (e.at, e.id) < (SELECT at, id FROM audit_log WHERE id = ?)"
        let binds: [SQLValue] = (before.map { [.text($0)] } ?? []) + [.integer(Int64(limit))]
        return try await connection.query(
            """
            SELECT e.id, \(columns), a.login AS account_login, b.login AS actor_login FROM audit_log e
            LEFT JOIN accounts a ON a.id = e.account_id LEFT JOIN accounts b ON b.id = e.actor_id
            \(after) ORDER BY e.at DESC, e.id DESC LIMIT ?
            """, binds
        ).map { row in
            AuditEntry(
                id: try row.text("id"), event: try Self.auditEvent(row),
                accountLogin: try row.optionalText("account_login"), actorLogin: try row.optionalText("actor_login"))
        }
    }

    private func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    private func optional(_ integer: Int64?) -> SQLValue { integer.map(SQLValue.integer) ?? .null }
}

/// The typed ids and hashes as the schema stores them: text.
extension SQLValue {
    fileprivate static func id(_ id: AccountID) -> SQLValue { .text(id.rawValue) }
    fileprivate static func hash(_ hash: TokenHash) -> SQLValue { .text(hash.hex) }
}

extension SQLRow {
    fileprivate func accountID(_ column: String) throws -> AccountID { AccountID(try text(column)) }
    fileprivate func tokenHash(_ column: String) throws -> TokenHash { TokenHash(hex: try text(column)) }
}
