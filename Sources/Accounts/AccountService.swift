import BreachCheck
import Foundation
import Logging
import Synchronization

/// The account rules (A1–A5, B1–B4, L1–L4, R1–R8, D1 of docs/account-behaviour.md).
///
/// Everything outside the rules comes in through protocols — the store, the breach
/// checker, the clock, the random source — and every message goes to the store's
/// outbox in the transaction of the change that caused it, for the dispatcher to send.
public final class AccountService: Sendable {
    public let configuration: AccountConfiguration
    let store: any AccountStore
    let breachChecker: any BreachChecker
    let clock: any AccountClock
    let random: any SecureRandomSource
    let hashing: PasswordHashing
    let templates: MessageTemplates
    let lockout: LockoutPolicy
    let logger: Logger
    /// A hash to verify against when there is no account, so that an unknown login
    /// costs the same Argon2 time as a known one.
    private let dummyHash = Mutex<String?>(nil)

    public init(store: any AccountStore, breachChecker: any BreachChecker, configuration: AccountConfiguration = .init(),
                clock: any AccountClock = SystemClock(), random: any SecureRandomSource = SystemRandomSource(),
                logger: Logger = Logger(label: "breachdb.accounts")) {
        self.store = store
        self.breachChecker = breachChecker
        self.configuration = configuration
        self.clock = clock
        self.random = random
        self.hashing = PasswordHashing(parameters: configuration.argon2, random: random)
        self.templates = MessageTemplates(productName: configuration.productName, linkBaseURL: configuration.linkBaseURL)
        self.lockout = LockoutPolicy(configuration: configuration)
        self.logger = logger
    }

    // MARK: Creating and activating accounts (A1, A2, B1)

    /// Creates the first super-administrator, active at once (the command line's
    /// bootstrap; later accounts come through ``invite(login:email:phone:role:authentication:by:)``).
    public func createAdministrator(email: String, password: String) async throws -> String {
        let email = try Self.normalizedEmail(email)
        try await requireAcceptable(password, refusal: .breachedPassword)
        let hash = try await hashing.hash(Self.normalized(password))
        let account = Account(id: Self.newID(), login: email, email: email, role: .superAdministrator,
                              status: .active, passwordHash: hash, createdAt: clock.now())
        return try await store.transaction { tx in
            guard try await tx.insert(account) else { throw AccountError.loginTaken }
            try await tx.append(AuditEvent(at: account.createdAt, accountID: account.id, kind: .accountCreated, detail: "role=\(account.role.rawValue)"))
            return account.id
        }
    }

    /// A2, D1: an administrator adds a user. A password account gets the activation
    /// e-mail ("Activate now"); an SSO account (A4) is active at once, with no password.
    /// `login` defaults to the e-mail address (A1).
    @discardableResult
    public func invite(login: String? = nil, email: String, phone: String? = nil, role: Role = .user,
                       authentication: AuthenticationMethod = .password, by sessionToken: String) async throws -> String {
        let administrator = try await requireUser(sessionToken)
        try Self.require(administrator.role.administersUsers)
        // Only a super-administrator makes another.
        try Self.require(role != .superAdministrator || administrator.role == .superAdministrator)
        let email = try Self.normalizedEmail(email)
        let login = try login.map(Self.normalizedLogin) ?? email
        let now = clock.now()
        let account = Account(id: Self.newID(), login: login, email: email, phone: try phone.map(Self.normalizedPhone),
                              role: role, authentication: authentication,
                              status: authentication == .singleSignOn ? .active : .pending, createdAt: now)
        let token = SecretToken.make(using: random)
        let message = templates.activation(token: token)
        return try await store.transaction { [self] tx in
            guard try await tx.insert(account) else { throw AccountError.loginTaken }
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .accountCreated, actorID: administrator.accountID,
                                           detail: "role=\(role.rawValue) authentication=\(authentication.rawValue)"))
            if authentication == .password {
                try await tx.insertToken(hash: SecretToken.hash(token), purpose: .activation, accountID: account.id,
                                         createdAt: now, expiresAt: now.addingTimeInterval(configuration.activationLifetime.timeInterval))
                try await tx.enqueue(makeEmail(message, to: account.email, at: now))
            }
            return account.id
        }
    }

    /// Self-service sign-up: the password is checked (B1), and the answer is the same
    /// whether or not the address is registered — a new account gets the activation
    /// e-mail, an existing one a note that it already has an account.
    public func signUp(email: String, password: String, phone: String? = nil) async throws {
        let email = try Self.normalizedEmail(email)
        let phone = try phone.map(Self.normalizedPhone)
        try await requireAcceptable(password, refusal: .breachedPassword)
        let hash = try await hashing.hash(Self.normalized(password))
        let now = clock.now()
        let account = Account(id: Self.newID(), login: email, email: email, phone: phone, passwordHash: hash, createdAt: now)
        let token = SecretToken.make(using: random)
        try await store.transaction { [self] tx in
            if try await tx.insert(account) {
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .accountCreated, detail: "sign-up"))
                try await tx.insertToken(hash: SecretToken.hash(token), purpose: .activation, accountID: account.id,
                                         createdAt: now, expiresAt: now.addingTimeInterval(configuration.activationLifetime.timeInterval))
                try await tx.enqueue(makeEmail(templates.activation(token: token), to: email, at: now))
            } else if let existing = try await tx.account(login: email) {
                try await tx.enqueue(makeEmail(templates.alreadyRegistered(), to: existing.email, at: now))
            }
        }
    }

    /// A2: the "Activate now" link. An invited account sets its password here (B1);
    /// one that signed up with a password passes nil. The user is then signed in, and
    /// the device that followed the e-mailed link is known (L3).
    public func activate(token: String, password: String?) async throws -> IssuedSession {
        var newHash: String?
        if let password {
            try await requireAcceptable(password, refusal: .breachedPassword)
            newHash = try await hashing.hash(Self.normalized(password))
        }
        let now = clock.now()
        let minimumLength = configuration.minimumPasswordLength
        return try await store.transaction { [self, newHash] tx in
            guard let accountID = try await tx.consumeToken(hash: SecretToken.hash(token), purpose: .activation, at: now),
                  var account = try await tx.account(id: accountID), account.status == .pending
            else { throw AccountError.invalidLink }
            if let newHash {
                try await tx.setPassword(accountID: accountID, hash: newHash, mustChange: false)
                account.passwordHash = newHash
            } else if account.passwordHash == nil {
                throw AccountError.passwordTooShort(minimum: minimumLength)
            }
            try await tx.setStatus(accountID: accountID, .active)
            try await tx.append(AuditEvent(at: now, accountID: accountID, kind: .accountActivated))
            return try await issueSession(for: account, rememberingDevice: true, in: tx, at: now)
        }
    }

    // MARK: Signing in (A5, B3, L1–L4)

    /// Signs in with login and password. `deviceToken` is what an earlier verification
    /// returned for this device (L3).
    ///
    /// Unknown logins, wrong passwords and locked accounts all get
    /// ``AccountError/invalidCredentials`` after the same Argon2 work; only someone who
    /// knows the password learns that the account is deactivated (A5).
    public func signIn(login: String, password: String, deviceToken: String? = nil) async throws -> SignInResult {
        let now = clock.now()
        let account = try await existingAccountIfAny(login)
        guard let account, let storedHash = account.passwordHash, account.authentication == .password else {
            _ = await hashing.verify(password, against: try await dummyPasswordHash())
            // A4's clear reason, at the cost of telling that an SSO account has this login.
            if account?.authentication == .singleSignOn { throw AccountError.singleSignOnAccount }
            throw AccountError.invalidCredentials
        }
        if lockout.isLocked(account, now: now) {
            // Not counted and not checked: a locked account takes no guesses.
            _ = await hashing.verify(password, against: try await dummyPasswordHash())
            throw AccountError.invalidCredentials
        }
        guard await hashing.verify(Self.normalized(password), against: storedHash) else {
            try await recordFailedSignIn(account, at: now)
            throw AccountError.invalidCredentials
        }
        switch account.status {
        case .deactivated: throw AccountError.accountDeactivated
        case .pending: throw AccountError.accountNotActivated
        case .active: break
        }
        // B3: the list grows after a password was set.
        if try await isBreached(password) {
            let token = SecretToken.make(using: random)
            try await store.transaction { [self] tx in
                try await tx.clearFailedSignIns(accountID: account.id)
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .breachedPasswordAtSignIn))
                try await sendResetLink(to: account, token: token,
                                        message: templates.proactiveReset(token: token, hours: resetHours), in: tx, at: now)
            }
            throw AccountError.passwordResetRequired
        }
        let upgradedHash = hashing.needsUpgrade(storedHash) ? try await hashing.hash(Self.normalized(password)) : nil
        let deviceHash = deviceToken.map(SecretToken.hash)
        let code = SecretToken.sixDigitCode(using: random)
        return try await store.transaction { [self] tx in
            try await tx.clearFailedSignIns(accountID: account.id)
            if let upgradedHash {
                try await tx.setPassword(accountID: account.id, hash: upgradedHash, mustChange: account.mustChangePassword)
            }
            if configuration.verifyNewDevices {
                let known = if let deviceHash { try await tx.isKnownDevice(accountID: account.id, tokenHash: deviceHash) } else { false }
                if !known {
                    let challenge = DeviceChallenge(id: Self.newID(), accountID: account.id, codeHash: SecretToken.hash(code),
                                                    expiresAt: now.addingTimeInterval(configuration.deviceCodeLifetime.timeInterval))
                    try await tx.insert(challenge)
                    try await tx.enqueue(makeEmail(templates.deviceCode(code, minutes: Int(configuration.deviceCodeLifetime.timeInterval / 60)),
                                               to: account.email, at: now))
                    try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .deviceChallengeSent))
                    return .deviceVerificationRequired(challengeID: challenge.id)
                }
            }
            return .signedIn(try await issueSession(for: account, rememberingDevice: false, in: tx, at: now))
        }
    }

    /// L3: the e-mailed code for an unrecognised device. The code works once, for ten
    /// minutes, and for a limited number of wrong tries; afterwards the device is known.
    public func verifyDevice(challengeID: String, code: String) async throws -> IssuedSession {
        let now = clock.now()
        let attempts = configuration.deviceCodeAttempts
        let outcome: Result<IssuedSession, AccountError> = try await store.transaction { [self] tx in
            guard let challenge = try await tx.deviceChallenge(id: challengeID), challenge.usedAt == nil,
                  challenge.expiresAt > now, challenge.failedAttempts < attempts
            else { return .failure(.invalidDeviceCode) }
            guard SecretToken.constantTimeEquals(SecretToken.hash(code.trimmingCharacters(in: .whitespaces)), challenge.codeHash) else {
                // Committed although the call fails: a wrong try must count.
                _ = try await tx.recordFailedAttempt(challengeID: challengeID)
                return .failure(.invalidDeviceCode)
            }
            guard try await tx.consumeChallenge(id: challengeID, at: now),
                  let account = try await tx.account(id: challenge.accountID), account.status == .active
            else { return .failure(.invalidDeviceCode) }
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .deviceVerified))
            return .success(try await issueSession(for: account, rememberingDevice: true, in: tx, at: now))
        }
        return try outcome.get()
    }

    /// The account behind a session token, for requests after sign-in. Refreshes the
    /// idle timer (L4); an idle or expired session is ended.
    public func authenticate(sessionToken: String) async throws -> AuthenticatedUser {
        let hash = SecretToken.hash(sessionToken)
        let now = clock.now()
        let idle = configuration.sessionIdleTimeout.timeInterval
        let user: AuthenticatedUser? = try await store.transaction { tx in
            guard let session = try await tx.session(tokenHash: hash) else { return nil }
            guard session.expiresAt > now, now.timeIntervalSince(session.lastSeenAt) < idle,
                  let account = try await tx.account(id: session.accountID), account.status == .active
            else {
                try await tx.deleteSession(tokenHash: hash)
                return nil
            }
            try await tx.touchSession(tokenHash: hash, at: now)
            return AuthenticatedUser(accountID: account.id, login: account.login, email: account.email, role: account.role,
                                     authentication: account.authentication, mustChangePassword: account.mustChangePassword,
                                     sessionTokenHash: hash)
        }
        guard let user else { throw AccountError.notSignedIn }
        return user
    }

    public func signOut(sessionToken: String) async throws {
        let hash = SecretToken.hash(sessionToken)
        let now = clock.now()
        try await store.transaction { tx in
            guard let session = try await tx.session(tokenHash: hash) else { return }
            try await tx.deleteSession(tokenHash: hash)
            try await tx.append(AuditEvent(at: now, accountID: session.accountID, kind: .signedOut))
        }
    }

    // MARK: Resetting and changing passwords (A4, B2, B4, R1–R7)

    /// R1: "Forgot my password". Answers the same whatever the address: an active
    /// password account gets a link (R2: 24 hours; R3: earlier links stop working),
    /// an SSO account a note that it has no password here (A4), others nothing.
    public func requestPasswordReset(login: String) async throws {
        guard let login = try? Self.normalizedLogin(login) else { return }
        let now = clock.now()
        let token = SecretToken.make(using: random)
        try await store.transaction { [self] tx in
            guard let account = try await tx.account(login: login), account.status == .active else { return }
            if account.authentication == .singleSignOn {
                try await tx.enqueue(makeEmail(templates.singleSignOnNotice(), to: account.email, at: now))
                return
            }
            try await sendResetLink(to: account, token: token, message: templates.passwordReset(token: token, hours: resetHours), in: tx, at: now)
        }
    }

    /// R1–R3, B2, R7: sets a new password from a reset link. The link is used up (one
    /// of two concurrent uses wins), the lockout ends (L2), every session ends, and a
    /// confirmation goes out by e-mail and, when the account has a phone, SMS.
    public func resetPassword(token: String, newPassword: String) async throws {
        try await requireAcceptable(newPassword, refusal: .unsafePassword)
        let hash = try await hashing.hash(Self.normalized(newPassword))
        let now = clock.now()
        try await store.transaction { [self] tx in
            guard let accountID = try await tx.consumeToken(hash: SecretToken.hash(token), purpose: .passwordReset, at: now),
                  let account = try await tx.account(id: accountID), account.status == .active
            else { throw AccountError.invalidLink }
            guard account.authentication == .password else { throw AccountError.singleSignOnAccount }
            try await tx.setPassword(accountID: accountID, hash: hash, mustChange: false)
            try await tx.clearFailedSignIns(accountID: accountID)
            try await tx.deleteSessions(accountID: accountID, keeping: nil)
            try await tx.enqueue(makeEmail(templates.resetConfirmation(), to: account.email, at: now))
            if let phone = account.phone {
                try await tx.enqueue(OutgoingMessage(id: Self.newID(), channel: .sms, recipient: phone, subject: "",
                                                     body: templates.resetConfirmationSMS(), createdAt: now))
            }
            try await tx.append(AuditEvent(at: now, accountID: accountID, kind: .passwordResetCompleted))
        }
    }

    /// R4, B4: a signed-in user changes their password: the current one, then the new
    /// one twice. Every other session of the account ends.
    public func changePassword(sessionToken: String, currentPassword: String, newPassword: String, confirmation: String) async throws {
        let user = try await authenticate(sessionToken: sessionToken)
        guard user.authentication == .password else { throw AccountError.singleSignOnAccount }
        guard newPassword == confirmation else { throw AccountError.passwordConfirmationMismatch }
        guard let account = try await store.transaction({ tx in try await tx.account(id: user.accountID) }),
              let storedHash = account.passwordHash,
              await hashing.verify(Self.normalized(currentPassword), against: storedHash)
        else { throw AccountError.currentPasswordIncorrect }
        try await requireAcceptable(newPassword, refusal: .breachedPassword)
        let hash = try await hashing.hash(Self.normalized(newPassword))
        let now = clock.now()
        try await store.transaction { [self] tx in
            try await tx.setPassword(accountID: account.id, hash: hash, mustChange: false)
            try await tx.deleteSessions(accountID: account.id, keeping: user.sessionTokenHash)
            try await tx.enqueue(makeEmail(templates.passwordChanged(), to: account.email, at: now))
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .passwordChanged))
        }
    }

    // MARK: Administration (D1, R5, R6, A5)

    /// R5: sends the reset e-mail to another user. Only a super-administrator or a user
    /// administrator may; anyone else gets ``AccountError/forbidden``.
    public func adminSendPasswordReset(login: String, by sessionToken: String) async throws {
        let administrator = try await requireAdministrator(sessionToken)
        let login = try Self.normalizedLogin(login)
        let now = clock.now()
        let token = SecretToken.make(using: random)
        try await store.transaction { [self] tx in
            guard let account = try await tx.account(login: login) else { throw AccountError.unknownAccount }
            guard account.authentication == .password else { throw AccountError.singleSignOnAccount }
            guard account.status == .active else { throw AccountError.accountDeactivated }
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .adminSentPasswordReset, actorID: administrator.accountID))
            try await sendResetLink(to: account, token: token, message: templates.passwordReset(token: token, hours: resetHours), in: tx, at: now)
        }
    }

    /// R6: in a deployment without e-mail an administrator sets the password; the user
    /// must change it at the next sign-in. Ends the user's sessions and any lockout.
    public func adminSetPassword(login: String, password: String, by sessionToken: String) async throws {
        let administrator = try await requireAdministrator(sessionToken)
        let target = try await existingAccount(login)
        guard target.authentication == .password else { throw AccountError.singleSignOnAccount }
        try Self.require(target.role != .superAdministrator || administrator.role == .superAdministrator)
        try await requireAcceptable(password, refusal: .breachedPassword)
        let hash = try await hashing.hash(Self.normalized(password))
        let now = clock.now()
        try await store.transaction { tx in
            try await tx.setPassword(accountID: target.id, hash: hash, mustChange: true)
            if target.status == .pending { try await tx.setStatus(accountID: target.id, .active) }
            try await tx.clearFailedSignIns(accountID: target.id)
            try await tx.deleteSessions(accountID: target.id, keeping: nil)
            try await tx.append(AuditEvent(at: now, accountID: target.id, kind: .adminSetPassword, actorID: administrator.accountID))
        }
    }

    /// A5: a deactivated account cannot sign in; its sessions end at once.
    public func deactivate(login: String, by sessionToken: String) async throws {
        try await setStatus(.deactivated, login: login, by: sessionToken, event: .accountDeactivated)
    }

    public func reactivate(login: String, by sessionToken: String) async throws {
        try await setStatus(.active, login: login, by: sessionToken, event: .accountReactivated)
    }

    /// D1: roles are managed by administrators; only a super-administrator grants or
    /// takes away super-administrator.
    public func setRole(_ role: Role, login: String, by sessionToken: String) async throws {
        let administrator = try await requireAdministrator(sessionToken)
        let target = try await existingAccount(login)
        try Self.require(administrator.role == .superAdministrator || (role != .superAdministrator && target.role != .superAdministrator))
        let now = clock.now()
        try await store.transaction { tx in
            try await tx.setRole(accountID: target.id, role)
            try await tx.append(AuditEvent(at: now, accountID: target.id, kind: .roleChanged, actorID: administrator.accountID,
                                           detail: "\(target.role.rawValue)->\(role.rawValue)"))
        }
    }

    /// A3: the strength shown while a password is chosen; breached is always weak.
    public func passwordStrength(_ password: String) async -> PasswordStrength {
        let count = try? await breachChecker.breachCount(ofPassword: password)
        return PasswordStrength.estimate(password, breachCount: count, breached: (count ?? 0) > configuration.breachThreshold,
                                         minimumLength: configuration.minimumPasswordLength)
    }

    // MARK: Pieces the flows share

    private var resetHours: Int { Int(configuration.resetLinkLifetime.timeInterval / 3600) }

    /// A valid session whose password need not be changed first (R6).
    private func requireUser(_ sessionToken: String) async throws -> AuthenticatedUser {
        let user = try await authenticate(sessionToken: sessionToken)
        guard !user.mustChangePassword else { throw AccountError.passwordChangeRequired }
        return user
    }

    private func requireAdministrator(_ sessionToken: String) async throws -> AuthenticatedUser {
        let user = try await requireUser(sessionToken)
        try Self.require(user.role.administersUsers)
        return user
    }

    private static func require(_ allowed: Bool) throws {
        guard allowed else { throw AccountError.forbidden }
    }

    private func existingAccount(_ login: String) async throws -> Account {
        guard let account = try await existingAccountIfAny(login) else { throw AccountError.unknownAccount }
        return account
    }

    private func existingAccountIfAny(_ login: String) async throws -> Account? {
        guard let login = try? Self.normalizedLogin(login) else { return nil }
        return try await store.transaction { tx in try await tx.account(login: login) }
    }

    private func setStatus(_ status: AccountStatus, login: String, by sessionToken: String, event: AuditEvent.Kind) async throws {
        let administrator = try await requireAdministrator(sessionToken)
        let target = try await existingAccount(login)
        try Self.require(target.role != .superAdministrator || administrator.role == .superAdministrator)
        let now = clock.now()
        try await store.transaction { tx in
            try await tx.setStatus(accountID: target.id, status)
            if status == .deactivated { try await tx.deleteSessions(accountID: target.id, keeping: nil) }
            try await tx.append(AuditEvent(at: now, accountID: target.id, kind: event, actorID: administrator.accountID))
        }
    }

    /// L1, L2: counts a failure; locks as the policy says; the 10th sends a reset link.
    private func recordFailedSignIn(_ account: Account, at now: Date) async throws {
        let token = SecretToken.make(using: random)
        try await store.transaction { [self] tx in
            let failures = try await tx.recordFailedSignIn(accountID: account.id)
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .signInFailed, detail: "consecutive=\(failures)"))
            if let until = lockout.lockUntil(afterFailures: failures, now: now) {
                try await tx.setLockedUntil(accountID: account.id, until)
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .lockout,
                                               detail: until == .distantFuture ? "until reset" : "seconds=\(Int(until.timeIntervalSince(now)))"))
            }
            if failures == configuration.failuresBeforeResetEmail {
                try await sendResetLink(to: account, token: token,
                                        message: templates.failedSignInsReset(token: token, failures: failures, hours: resetHours), in: tx, at: now)
            }
        }
        logger.info("sign-in failed", metadata: ["account": "\(account.id)"])
    }

    /// R2, R3: a new single-use link that ends every earlier one.
    private func sendResetLink(to account: Account, token: String, message: MessageTemplates.Email,
                               in tx: any AccountTransaction, at now: Date) async throws {
        try await tx.revokeTokens(accountID: account.id, purpose: .passwordReset, at: now)
        try await tx.insertToken(hash: SecretToken.hash(token), purpose: .passwordReset, accountID: account.id,
                                 createdAt: now, expiresAt: now.addingTimeInterval(configuration.resetLinkLifetime.timeInterval))
        try await tx.enqueue(makeEmail(message, to: account.email, at: now))
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .passwordResetRequested))
    }

    private func issueSession(for account: Account, rememberingDevice: Bool, in tx: any AccountTransaction, at now: Date) async throws -> IssuedSession {
        let token = SecretToken.make(using: random)
        let session = StoredSession(tokenHash: SecretToken.hash(token), accountID: account.id, createdAt: now, lastSeenAt: now,
                                    expiresAt: now.addingTimeInterval(configuration.sessionLifetime.timeInterval))
        try await tx.insert(session)
        var deviceToken: String?
        if rememberingDevice {
            let device = SecretToken.make(using: random)
            try await tx.rememberDevice(accountID: account.id, tokenHash: SecretToken.hash(device), at: now)
            deviceToken = device
        }
        try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .signInSucceeded))
        return IssuedSession(accountID: account.id, sessionToken: token, expiresAt: session.expiresAt,
                             deviceToken: deviceToken, mustChangePassword: account.mustChangePassword)
    }

    /// Length (NIST 800-63B, no composition rules) and the breach check (B1, B2, B4),
    /// refusing with the rule's own error.
    private func requireAcceptable(_ password: String, refusal: AccountError) async throws {
        let length = Self.normalized(password).count
        guard length >= configuration.minimumPasswordLength else { throw AccountError.passwordTooShort(minimum: configuration.minimumPasswordLength) }
        guard length <= configuration.maximumPasswordLength else { throw AccountError.passwordTooLong(maximum: configuration.maximumPasswordLength) }
        if try await isBreached(password) { throw refusal }
    }

    /// Whether the breach data holds the password more than the threshold allows; a
    /// checker that cannot answer fails open or closed as configured.
    private func isBreached(_ password: String) async throws -> Bool {
        do {
            return try await breachChecker.breachCount(ofPassword: password) > configuration.breachThreshold
        } catch {
            logger.warning("breach check unavailable", metadata: ["error": "\(error)", "failOpen": "\(configuration.breachCheckFailOpen)"])
            guard configuration.breachCheckFailOpen else { throw AccountError.breachCheckUnavailable }
            return false
        }
    }

    private func dummyPasswordHash() async throws -> String {
        if let hash = dummyHash.withLock({ $0 }) { return hash }
        let hash = try await hashing.hash(SecretToken.make(using: random))
        dummyHash.withLock { $0 = hash }
        return hash
    }

    private func makeEmail(_ message: MessageTemplates.Email, to recipient: String, at now: Date) -> OutgoingMessage {
        OutgoingMessage(id: Self.newID(), channel: .email, recipient: recipient, subject: message.subject, body: message.body, createdAt: now)
    }

    static func newID() -> String { UUID().uuidString.lowercased() }

    /// NIST 800-63B: passwords are compared after Unicode NFKC normalisation. (The
    /// breach check takes the password as typed: that is what breach lists hold.)
    static func normalized(_ password: String) -> String { password.precomposedStringWithCompatibilityMapping }

    /// Logins compare case-insensitively; control characters (a header injection in an
    /// e-mail) and spaces are refused.
    static func normalizedLogin(_ login: String) throws -> String {
        let login = login.trimmingCharacters(in: .whitespaces).lowercased()
        guard !login.isEmpty, login.count <= 254,
              login.unicodeScalars.allSatisfy({ !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0) })
        else { throw AccountError.invalidLogin }
        return login
    }

    static func normalizedEmail(_ email: String) throws -> String {
        let email = try normalizedLogin(email)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { throw AccountError.invalidLogin }
        return email
    }

    /// E.164-style: an optional +, then 6 to 15 digits (spaces and dashes dropped).
    static func normalizedPhone(_ phone: String) throws -> String {
        let compact = phone.filter { !" -().".contains($0) }
        let digits = compact.hasPrefix("+") ? compact.dropFirst() : Substring(compact)
        guard (6...15).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
            throw AccountError.invalidPhone
        }
        return compact
    }
}
