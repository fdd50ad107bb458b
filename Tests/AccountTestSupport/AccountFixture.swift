import AccountMail
import Accounts
import BreachCheck
import BreachHash
import BreachIndex
import BreachSupport
import Foundation
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import AccountStorage

/// The two stores every rule is tested on. PostgreSQL needs
/// `BREACHDB_TEST_POSTGRES_URL` (tools/test.sh starts a server and sets it).
public enum StoreKind: String, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }

    public static let postgresURL = ProcessInfo.processInfo.environment["BREACHDB_TEST_POSTGRES_URL"]
    public static let all: [StoreKind] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Time that moves only when a test says so.
public final class FakeClock: AccountClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    public init() {}
    public func now() -> Date { current.withLock { $0 } }
    public func advance(_ duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}

/// A real breach index on disk that a test can grow, as a new dump would (B3).
public final class BreachList: Sendable {
    private let directory: TemporaryDirectory
    private let state: Mutex<(index: BreachIndex, passwords: [String], generation: Int)>

    public init(_ passwords: [String]) throws {
        directory = try TemporaryDirectory()
        state = Mutex((try Self.build(passwords, at: directory.file("index-0.lmdb")), passwords, 0))
    }

    public var checker: LocalBreachChecker { LocalBreachChecker(currentIndex: { self.state.withLock { $0.index } }) }

    public func add(_ password: String) throws {
        let (passwords, generation) = state.withLock { ($0.passwords + [password], $0.generation + 1) }
        let index = try Self.build(passwords, at: directory.file("index-\(generation).lmdb"))
        state.withLock { $0 = (index, passwords, generation) }
    }

    private static func build(_ passwords: [String], at path: String) throws -> BreachIndex {
        try writeIndex(passwords.map { HashCount(digest: PasswordHasher.hash($0, kind: .sha1), count: 42) }, to: path)
        return try BreachIndex(path: path)
    }
}

/// An e-mail as the SMTP server received it.
public struct ReceivedMail: Sendable {
    public var recipient: String
    public var subject: String
    public var messageID: String
    public var body: String

    /// The token of the first `{base}/PATH?token=…` link in the body.
    public func token(forPath path: String) -> String? {
        guard let range = body.range(of: "/\(path)?token=") else { return nil }
        return String(body[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    /// The six-digit code on a line of its own (L3).
    public var code: String? {
        body.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 6 && $0.allSatisfy(\.isNumber) }
    }
}

/// A real SMTP server (aiosmtpd, tools/smtp-sink.py) shared by the test process, in
/// arrival order;
/// each fixture uses its own mail domain, so tests read only their own messages.
public final class SMTPSink: Sendable {
    public static let shared: SMTPSink = {
        do { return try SMTPSink() } catch { fatalError("cannot start the SMTP sink (pip install aiosmtpd): \(error)") }
    }()

    public let port: Int
    public let mailDirectory: String
    private let process: Process
    private let directory: TemporaryDirectory

    /// A sink of its own; `arguments` go to smtp-sink.py (`--starttls CERT KEY`).
    public init(arguments: [String] = []) throws {
        directory = try TemporaryDirectory()
        mailDirectory = directory.file("mail")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", repositoryRoot + "/tools/smtp-sink.py", "--directory", mailDirectory] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw DeliveryError("smtp-sink.py exited before listening") }
            line.append(chunk)
        }
        guard
            let port = Int(
                String(decoding: line, as: UTF8.self).split(separator: " ").last?.trimmingCharacters(
                    in: .whitespacesAndNewlines) ?? "")
        else { throw DeliveryError("smtp-sink.py printed no port") }
        self.port = port
    }

    /// A sink of a test's own stops with it (the shared one with the test process).
    deinit { process.terminate() }

    public func messages(to recipient: String) -> [ReceivedMail] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: mailDirectory)) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted().map { "\(mailDirectory)/\($0)" }
        return files.compactMap { path -> ReceivedMail? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
            guard let split = normalized.range(of: "\n\n") else { return nil }
            var headers: [String: String] = [:]
            for line in normalized[..<split.lowerBound].split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            guard headers["to"] == recipient else { return nil }
            return ReceivedMail(
                recipient: recipient, subject: headers["subject"] ?? "", messageID: headers["message-id"] ?? "",
                body: String(normalized[split.upperBound...]))
        }
    }
}

/// A store of the given kind, a fake clock, a real breach index, the account rules,
/// and an outbox dispatcher that sends through the real SMTP sink. Tests take one with
/// ``with(_:checker:configure:_:)`` or ``withAdministrator(_:checker:configure:_:)``,
/// which close it however the test ends; a PostgreSQL one needs the suite's
/// `.dropsTestDatabases` trait.
public final class AccountFixture: Sendable {
    public static let breachedPasswords = ["password123", "letmein!2024", "correct horse battery staple"]
    public static let goodPassword = "quiet-harbor-lantern-42"

    public let kind: StoreKind
    public let store: SQLAccountStore
    public let clock = FakeClock()
    public let breaches: BreachList
    public let service: AccountService
    public let dispatcher: OutboxDispatcher
    public let domain = "t\(UInt32.random(in: 0...UInt32.max)).example.com"
    private let directory: TemporaryDirectory
    private let postgresDatabase: String?

    /// A lockout (50 failures) and a reset e-mail (60) far away, so that only the limits a
    /// test is about are at work.
    public static func distantLockout(_ configuration: inout AccountConfiguration) {
        configuration.failuresBeforeLockout = 50
        configuration.failuresBeforeResetEmail = 60
    }

    /// Small Argon2 costs keep the suite fast; one test checks the OWASP default.
    public static func testConfiguration() -> AccountConfiguration {
        var configuration = AccountConfiguration()
        configuration.argon2 = Argon2Parameters(memoryKiB: 256, iterations: 1, parallelism: 1)
        configuration.linkBaseURL = "https://app.example.test"
        // The queue's count is the process's, and the suites run in parallel: a test's hashes
        // must not be refused busy because other suites' are in flight (the tests of the
        // limit set their own).
        configuration.hashingQueueLimit = 100_000
        return configuration
    }

    public init(
        _ kind: StoreKind, checker: (any BreachChecker)? = nil,
        configure: (inout AccountConfiguration) -> Void = { _ in }
    ) async throws {
        self.kind = kind
        directory = try TemporaryDirectory()
        breaches = try BreachList(Self.breachedPasswords)
        switch kind {
        case .sqlite:
            postgresDatabase = nil
            (store, _) = try await SQLAccountStore.make("sqlite:" + directory.file("accounts.sqlite"))
        case .postgres:
            // The pool runs in the test's scope (`.dropsTestDatabases`), as in a service group.
            guard let databases = TestDatabases.current else {
                throw DeliveryError("a PostgreSQL fixture needs the suite's .dropsTestDatabases trait")
            }
            let name = "accounts_\(UInt64.random(in: 0...UInt64.max))"
            try await Self.postgresAdministration("CREATE DATABASE \(name)")
            postgresDatabase = name
            databases.made(name)
            let (made, service) = try await SQLAccountStore.make(
                Self.postgresURL(database: name), secretKey: .generate())
            store = made
            if let service { databases.run(service) }
            databases.made(name, store: store)
        }
        try await store.open()
        var configuration = Self.testConfiguration()
        configure(&configuration)
        // Quiet: tests read outcomes, not logs.
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        service = AccountService(
            store: store, breachChecker: checker ?? breaches.checker, configuration: configuration, clock: clock,
            logger: quiet)
        // The sink is plain text on loopback: allowed only when asked for, as here.
        dispatcher = OutboxDispatcher(
            outbox: store,
            email: SMTPMailer(
                configuration: .init(
                    host: "127.0.0.1", port: SMTPSink.shared.port,
                    security: .plaintextOnLoopback,
                    sender: "accounts@breachdb.test")),
            sms: nil, clock: clock, logger: quiet)
    }

    public func close() async throws {
        try await store.close()
        if let postgresDatabase {
            try await Self.dropDatabase(postgresDatabase)
            TestDatabases.current?.dropped(postgresDatabase)
        }
    }

    /// Runs `body` with a fixture of `kind` and closes it however `body` ends (a thrown
    /// error or a failed `#require` would otherwise skip ``close()``).
    public static func with<Value>(
        _ kind: StoreKind, checker: (any BreachChecker)? = nil,
        configure: (inout AccountConfiguration) -> Void = { _ in },
        _ body: (AccountFixture) async throws -> Value
    ) async throws -> Value {
        let fixture = try await AccountFixture(kind, checker: checker, configure: configure)
        let value: Value
        do {
            value = try await body(fixture)
        } catch {
            try? await fixture.close()
            throw error
        }
        try await fixture.close()
        return value
    }

    /// ``with(_:checker:configure:_:)`` with a super-administrator signed in (A2's
    /// bootstrap): `body` is given their session token too.
    public static func withAdministrator<Value>(
        _ kind: StoreKind, checker: (any BreachChecker)? = nil,
        configure: (inout AccountConfiguration) -> Void = { _ in },
        _ body: (AccountFixture, _ administrator: String) async throws -> Value
    ) async throws -> Value {
        try await with(kind, checker: checker, configure: configure) { fixture in
            try await body(fixture, try await fixture.administrator())
        }
    }

    /// ``withAdministrator(_:checker:configure:_:)`` with one active user, `name`, whom the
    /// administrator invited (A2), with `phone`, and who activated with `password`; their
    /// last `failedSignIns` sign-ins failed (L2). `body` is given their login and their
    /// first session.
    public static func withActiveUser<Value>(
        _ name: String, on kind: StoreKind, phone: String? = nil, password: String = goodPassword,
        failedSignIns: Int = 0, checker: (any BreachChecker)? = nil,
        configure: (inout AccountConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (AccountFixture, _ login: String, _ session: IssuedSession) async throws -> Value
    ) async throws -> Value {
        try await withAdministrator(kind, checker: checker, configure: configure) { fixture, administrator in
            let session = try await fixture.activeUser(name, phone: phone, password: password, by: administrator)
            let login = fixture.address(name)
            if failedSignIns > 0 {
                await fixture.failSignIns(login, times: failedSignIns, sourceLocation: sourceLocation)
            }
            return try await body(fixture, login, session)
        }
    }

    /// ``withAdministrator(_:checker:configure:_:)`` with `name` invited (A2): `body` is
    /// given the token of the activation link e-mailed to them.
    public static func withInvitation(
        _ name: String, on kind: StoreKind, _ body: (AccountFixture, _ token: String) async throws -> Void
    ) async throws {
        try await withAdministrator(kind) { fixture, administrator in
            try await body(fixture, try await fixture.invitation(name, by: administrator))
        }
    }

    /// ``withAdministrator(_:checker:configure:_:)`` with D1's two roles below the
    /// super-administrator (``userAdministratorAndUser(by:)``): `body` is given the three
    /// sessions, the super-administrator's as its token.
    public static func withEveryRole(
        _ kind: StoreKind,
        _ body: (
            AccountFixture, _ administrator: String, _ userAdministrator: IssuedSession, _ user: IssuedSession
        ) async throws -> Void
    ) async throws {
        try await withAdministrator(kind) { fixture, administrator in
            let (userAdministrator, user) = try await fixture.userAdministratorAndUser(by: administrator)
            try await body(fixture, administrator, userAdministrator, user)
        }
    }

    /// ``withActiveUser(_:on:phone:password:failedSignIns:checker:configure:sourceLocation:_:)`` with a password
    /// reset asked for (R1): its e-mail waits in the outbox, not yet sent. `body` is given the
    /// user's login.
    public static func withPendingReset(
        _ name: String, on kind: StoreKind, _ body: (AccountFixture, _ login: String) async throws -> Void
    ) async throws {
        try await withActiveUser(name, on: kind) { fixture, login, _ in
            try await fixture.service.requestPasswordReset(login: login)
            try await body(fixture, login)
        }
    }

    /// ``withActiveUser(_:on:phone:password:failedSignIns:checker:configure:sourceLocation:_:)`` with a password
    /// reset asked for and its e-mail sent (R1): `body` is given the user's login and the
    /// token of the e-mailed link.
    public static func withResetLink(
        _ name: String, on kind: StoreKind,
        _ body: (AccountFixture, _ login: String, _ token: String) async throws -> Void
    ) async throws {
        try await withActiveUser(name, on: kind) { fixture, login, _ in
            try await body(fixture, login, try await fixture.requestedResetLink(for: login))
        }
    }

    public func address(_ name: String) -> String { "\(name)@\(domain)" }

    /// Runs the dispatcher, then reads what the SMTP server received for `address`.
    public func mail(to address: String) async throws -> [ReceivedMail] {
        try await dispatcher.dispatchDueMessages()
        return SMTPSink.shared.messages(to: address)
    }

    public func onlyMail(to address: String, subjectContaining subject: String) async throws -> ReceivedMail {
        let matching = try await mail(to: address).filter { $0.subject.contains(subject) }
        guard matching.count == 1, let mail = matching.first else {
            throw DeliveryError("expected one e-mail to \(address) with \"\(subject)\", got \(matching.count)")
        }
        return mail
    }

    /// The link token of the one activation e-mail to `address` (A2).
    public func activationLink(to address: String) async throws -> String {
        try #require(try await onlyMail(to: address, subjectContaining: "Activate").token(forPath: "activate"))
    }

    /// The link token of the one "Reset your password" e-mail to `address` (R1).
    public func resetLink(to address: String) async throws -> String {
        try #require(try await onlyMail(to: address, subjectContaining: "Reset your").token(forPath: "reset-password"))
    }

    /// Asks for a password reset for `login` (R1) and answers the e-mailed link's token.
    public func requestedResetLink(for login: String) async throws -> String {
        try await service.requestPasswordReset(login: login)
        return try await resetLink(to: login)
    }

    /// The reset link tokens of every e-mail to `address` so far, oldest first (R1, L1, B3).
    public func resetLinks(to address: String) async throws -> [String] {
        try await mail(to: address).compactMap { $0.token(forPath: "reset-password") }
    }

    /// The newest device code e-mailed to `address` (L3).
    public func latestCode(to address: String) async throws -> String {
        try #require(try await mail(to: address).compactMap(\.code).last)
    }

    /// `count` sign-ins as `login` with a wrong password, each refused as wrong (L2's
    /// failures); with `interval`, the clock moves on by it before each.
    public func failSignIns(
        _ login: String, times count: Int, advancingClockBy interval: Duration? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        for _ in 1...count {
            if let interval { clock.advance(interval) }
            await #expect(throws: AccountError.invalidCredentials, sourceLocation: sourceLocation) {
                try await service.signIn(login: login, password: "wrong-password-guess")
            }
        }
    }

    /// The account's consecutive failed attempts as stored (L2); nil when there is no such account.
    public func failedSignIns(of account: AccountID) async throws -> Int? {
        try await store.transaction { tx in try await tx.account(id: account)?.failedSignIns }
    }

    /// A super-administrator, signed in (A2's bootstrap), and their session token.
    public func administrator() async throws -> String {
        let email = address("admin")
        _ = try await service.createAdministrator(email: email, password: Self.goodPassword)
        return try await signInThroughDeviceCheck(email, Self.goodPassword).sessionToken
    }

    /// Signs `name` up (A1): the address signed up.
    @discardableResult
    public func signUp(_ name: String) async throws -> String {
        let email = address(name)
        try await service.signUp(email: email)
        return email
    }

    /// Invites `name` (A2) as the holder of `session`, an administrator's session token:
    /// the address invited.
    @discardableResult
    public func invite(
        _ name: String, login: String? = nil, role: Role = .user, phone: String? = nil,
        authentication: AuthenticationMethod = .password, by session: String
    ) async throws -> String {
        let email = address(name)
        try await service.invite(
            login: login, email: email, phone: phone, role: role, authentication: authentication,
            by: try await user(session))
        return email
    }

    /// Invites `name` (A2), as the administrator signed in with `administratorSession`: the
    /// token of the activation link e-mailed to them.
    public func invitation(
        _ name: String, login: String? = nil, role: Role = .user, phone: String? = nil,
        by administratorSession: String
    ) async throws -> String {
        try await activationLink(
            to: try await invite(name, login: login, role: role, phone: phone, by: administratorSession))
    }

    /// An active account made the A2 way: invited, activated through the e-mailed link.
    public func activeUser(
        _ name: String, role: Role = .user, phone: String? = nil, password: String = goodPassword,
        by administratorSession: String
    ) async throws -> IssuedSession {
        let token = try await invitation(name, role: role, phone: phone, by: administratorSession)
        return try await service.activate(token: token, password: password)
    }

    /// D1's two roles below the super-administrator, each an active user invited by
    /// `administratorSession`: a user administrator, "helper", and a user, "plain".
    public func userAdministratorAndUser(by administratorSession: String) async throws -> (
        userAdministrator: IssuedSession, user: IssuedSession
    ) {
        let userAdministrator = try await activeUser("helper", role: .userAdministrator, by: administratorSession)
        return (userAdministrator, try await activeUser("plain", by: administratorSession))
    }

    /// Another service over this fixture's breach index and clock, as another node, or this
    /// one restarted or reconfigured, would be: on `store` (this fixture's when nil), with
    /// this fixture's configuration changed by `configure`.
    public func anotherService(
        store: SQLAccountStore? = nil, configure: (inout AccountConfiguration) -> Void = { _ in }
    ) -> AccountService {
        var configuration = service.configuration
        configure(&configuration)
        return AccountService(
            store: store ?? self.store, breachChecker: breaches.checker, configuration: configuration, clock: clock)
    }

    /// The user behind a session token, as the HTTP API's session middleware finds it
    /// for each request.
    public func user(_ sessionToken: String) async throws -> AuthenticatedUser {
        try await service.authenticate(sessionToken: sessionToken)
    }

    /// Signs in with the right password from a browser that is not recognised: the L3
    /// challenge it is given (the test fails with what sign-in answered instead).
    public func deviceChallenge(_ login: String, _ password: String, deviceToken: String? = nil) async throws -> String
    {
        let result = try await service.signIn(login: login, password: password, deviceToken: deviceToken)
        guard case .deviceVerificationRequired(let challenge) = result else {
            throw UnexpectedSignIn(expected: "a device challenge", result: result)
        }
        return challenge
    }

    /// Signs in with the right password from a browser that is not recognised: the L3
    /// challenge and the code e-mailed for it.
    public func pendingDeviceCode(_ login: String) async throws -> (challenge: String, code: String) {
        let challenge = try await deviceChallenge(login, Self.goodPassword)
        let code = try #require(try await onlyMail(to: login, subjectContaining: "verification code").code)
        return (challenge, code)
    }

    /// Signs in from a device that needs no code (a known one, or with L3 off): the session it
    /// is given (the test fails with what sign-in answered instead).
    @discardableResult
    public func session(_ login: String, _ password: String, deviceToken: String? = nil) async throws
        -> IssuedSession
    {
        let result = try await service.signIn(login: login, password: password, deviceToken: deviceToken)
        guard case .signedIn(let session) = result else {
            throw UnexpectedSignIn(expected: "a session", result: result)
        }
        return session
    }

    public struct UnexpectedSignIn: Error, CustomStringConvertible {
        public let expected: String
        public let result: SignInResult
        public var description: String { "expected \(expected), got \(result)" }
    }

    /// Signs in, answering the device challenge (L3) with the e-mailed code.
    public func signInThroughDeviceCheck(_ login: String, _ password: String) async throws -> IssuedSession {
        switch try await service.signIn(login: login, password: password) {
        case .signedIn(let session): return session
        case .deviceVerificationRequired(let challenge):
            return try await service.verifyDevice(challengeID: challenge, code: try await latestCode(to: login))
        }
    }

    public static func postgresURL(database: String) -> String {
        var components = URLComponents(string: StoreKind.postgresURL!)!
        components.path = "/" + database
        return components.string!
    }

    /// Drops a test's database, its sessions ended. `WITH (FORCE)` refuses (42501) while an
    /// autovacuum worker is on the database, which a role without `pg_signal_backend` may not
    /// end; the worker is done within moments, so the drop is tried again.
    public static func dropDatabase(_ name: String) async throws {
        var attempt = 1
        while true {
            do {
                return try await postgresAdministration("DROP DATABASE \(name) WITH (FORCE)")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42501" && attempt < 40 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Statements that cannot run in a transaction (CREATE / DROP DATABASE).
    private static func postgresAdministration(_ sql: String) async throws {
        let database = try PostgresDatabase(url: StoreKind.postgresURL!, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            try await database.checkConnection()
            try await database.client.query(PostgresQuery(unsafeSQL: sql))
        }
    }
}
