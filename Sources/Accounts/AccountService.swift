import BreachCheck
import BreachSupport
import Foundation
import Logging
import Synchronization

/// The account rules (A1–A5, B1–B4, L1–L4, R1–R8, D1 of docs/account-rules.md).
///
/// Everything outside the rules comes in through protocols — the store, the breach
/// checker, the clock, the random source — and every message goes to the store's
/// outbox in the transaction of the change that caused it, for the dispatcher to send.
public final class AccountService: Sendable {
    public let configuration: AccountConfiguration
    let store: any AccountStore
    let clock: any AccountClock
    let random: any SecureRandomSource
    let hashing: PasswordHashing
    let templates: MessageTemplates
    let lockout: LockoutPolicy
    let links: OneTimeLinks
    let attempts: SignInAttempts
    let sessions: SessionIssuer
    let clients: ClientLimiter
    let devices: DeviceVerification
    let passwordPolicy: PasswordPolicy
    let logger: Logger
    /// A hash to verify against when there is no account, so that an unknown login
    /// costs the same Argon2 time as a known one.
    private let dummyHash = Mutex<String?>(nil)

    public init(
        store: any AccountStore, breachChecker: any BreachChecker, configuration: AccountConfiguration = .init(),
        clock: any AccountClock = SystemClock(), random: any SecureRandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "breachdb.accounts")
    ) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.random = random
        self.hashing = PasswordHashing(
            parameters: configuration.argon2, queueLimit: configuration.hashingQueueLimit, random: random)
        self.templates = MessageTemplates(
            productName: configuration.productName, linkBaseURL: configuration.linkBaseURL)
        self.lockout = LockoutPolicy(configuration: configuration)
        self.links = OneTimeLinks(configuration: configuration, templates: templates, random: random)
        self.attempts = SignInAttempts(store: store, lockout: lockout, links: links, configuration: configuration)
        self.sessions = SessionIssuer(store: store, configuration: configuration, random: random)
        self.clients = ClientLimiter(limit: configuration.requestsPerClientPerHour, window: .seconds(3600))
        self.devices = DeviceVerification(
            configuration: configuration, key: store.secretKey, links: links, templates: templates, clients: clients,
            random: random)
        self.passwordPolicy = PasswordPolicy(breachChecker: breachChecker, configuration: configuration, logger: logger)
        self.logger = logger
    }

    // MARK: Creating and activating accounts (A1, A2, B1)

    /// Creates the first super-administrator, active at once (the command line's
    /// bootstrap; later accounts come through ``invite(login:email:phone:role:authentication:by:)``).
    public func createAdministrator(email: String, password: String) async throws -> AccountID {
        let email = try EmailAddress(email).value
        try await passwordPolicy.requireAcceptable(password, refusal: .breachedPassword)
        let hash = try await hashing.hash(PasswordPolicy.normalized(password))
        let account = Account(
            id: .make(), login: email, email: email, role: .superAdministrator,
            status: .active, passwordHash: hash, createdAt: clock.now())
        return try await store.transaction { tx in
            guard try await tx.insert(account) else { throw AccountError.loginTaken }
            try await tx.append(
                AuditEvent(
                    at: account.createdAt, accountID: account.id, kind: .accountCreated,
                    detail: "role=\(account.role.rawValue)"))
            return account.id
        }
    }

    /// A2, D1: an administrator adds a user. A password account gets the activation
    /// e-mail ("Activate now"); an SSO account (A4) is active at once, with no password.
    /// `login` defaults to the e-mail address (A1).
    @discardableResult
    public func invite(
        login: String? = nil, email: String, phone: String? = nil, role: Role = .user,
        authentication: AuthenticationMethod = .password, by administrator: AuthenticatedUser
    ) async throws -> AccountID {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(AccessPolicy.mayAdd(role, by: administrator.role))
        let email = try EmailAddress(email).value
        let login = try login.map { try Login($0).value } ?? email
        let now = clock.now()
        let account = Account(
            id: .make(), login: login, email: email, phone: try phone.map { try PhoneNumber($0).value },
            role: role, authentication: authentication,
            status: authentication == .singleSignOn ? .active : .pending, createdAt: now)
        let token = links.newToken()
        return try await store.transaction { [self] tx in
            guard try await tx.insert(account) else { throw AccountError.loginTaken }
            try await tx.append(
                AuditEvent(
                    at: now, accountID: account.id, kind: .accountCreated, by: administrator,
                    detail: "role=\(role.rawValue) authentication=\(authentication.rawValue)"))
            if authentication == .password {
                try await links.send(
                    .activation, token: token, message: templates.activation(token: token), to: account, in: tx, at: now
                )
            }
            return account.id
        }
    }

    /// Self-service sign-up, with the e-mail address alone. The answer is the same
    /// whether or not the address is registered: a new account gets the activation
    /// e-mail, an existing one a note that it already has an account.
    ///
    /// Whoever asks need not own the address, so nothing they choose is kept: the
    /// password is chosen by whoever follows the activation link (A2), and a phone
    /// number, which no one here has verified, is added by an administrator.
    public func signUp(email: String, client: ClientAddress? = nil) async throws {
        let email = try EmailAddress(email).value
        let now = clock.now()
        try admit(client, at: now)
        let account = Account(id: .make(), login: email, email: email, createdAt: now)
        let token = links.newToken()
        try await store.transaction { [self] tx in
            guard try await isUnderAddressLimit(email, in: tx, at: now) else { return }
            if try await tx.insert(account) {
                try await tx.append(
                    AuditEvent(at: now, accountID: account.id, kind: .accountCreated, detail: "sign-up"))
                try await links.send(
                    .activation, token: token, message: templates.activation(token: token), to: account, in: tx, at: now
                )
            } else if let existing = try await tx.account(login: email) {
                try await tx.enqueue(links.email(templates.alreadyRegistered(), to: existing.email, at: now))
            }
        }
    }

    /// A2: the "Activate now" link: the user chooses their password here (B1), is
    /// signed in, and the device that followed the e-mailed link is known (L3).
    public func activate(token: String, password: String) async throws -> IssuedSession {
        try await requireUsableLink(token, purpose: .activation)
        try await passwordPolicy.requireAcceptable(password, refusal: .breachedPassword)
        let newHash = try await hashing.hash(PasswordPolicy.normalized(password))
        let now = clock.now()
        return try await store.transaction { [self] tx in
            guard
                let accountID = try await tx.consumeToken(hash: SecretToken.hash(token), purpose: .activation, at: now),
                var account = try await tx.account(id: accountID), account.status == .pending
            else { throw AccountError.invalidLink }
            try await tx.setPassword(accountID: accountID, hash: newHash, mustChange: false)
            account.passwordHash = newHash
            try await tx.setStatus(accountID: accountID, .active)
            try await tx.append(AuditEvent(at: now, accountID: accountID, kind: .accountActivated))
            return try await sessions.issue(for: account, rememberingDevice: true, in: tx, at: now)
        }
    }

    // MARK: Signing in (A5, B3, L1–L4)

    /// Signs in with login and password. `deviceToken` is what an earlier verification
    /// returned for this device (L3); `client` is who asks, for the per-client limit on
    /// device codes (the address the server resolved, ``ClientAddress``).
    ///
    /// Unknown logins, wrong passwords and locked accounts all get
    /// ``AccountError/invalidCredentials`` after the same Argon2 work; only someone who
    /// knows the password learns that the account is deactivated (A5).
    public func signIn(login: String, password: String, deviceToken: String? = nil, client: ClientAddress? = nil)
        async throws -> SignInResult
    {
        let now = clock.now()
        let account = try await existingAccountIfAny(login)
        guard let account, let storedHash = account.passwordHash, account.authentication == .password else {
            try await refuseSignIn(accountID: account?.id, reason: "no password account", password: password, at: now)
            // A4's clear reason, at the cost of telling that an SSO account has this login.
            if account?.authentication == .singleSignOn { throw AccountError.singleSignOnAccount }
            throw AccountError.invalidCredentials
        }
        // L2: the attempt is counted before the password is checked.
        let result: SignInResult? = try await attempts.withAttempt(on: account, at: now) { [self] attempt in
            guard
                try await attempt.check({
                    try await hashing.verify(PasswordPolicy.normalized(password), against: storedHash)
                })
            else {
                throw AccountError.invalidCredentials
            }
            if account.status != .active {
                try await store.transaction { tx in try await attempt.succeed(in: tx) }
                throw account.status == .deactivated
                    ? AccountError.accountDeactivated : AccountError.accountNotActivated
            }
            // B3: the list grows after a password was set.
            if try await passwordPolicy.isBreached(password) {
                try await requireReset(of: account, releasing: attempt, at: now)
                throw AccountError.passwordResetRequired
            }
            let upgradedHash =
                hashing.needsUpgrade(storedHash) ? try await hashing.hash(PasswordPolicy.normalized(password)) : nil
            return try await store.transaction { [self] tx in
                // The password checked must still be the account's when the session is
                // issued: a reset or change committed meanwhile ended what it let in.
                guard let current = try await tx.lockedAccount(id: account.id), current.passwordHash == storedHash,
                    current.status == .active
                else { throw AccountError.invalidCredentials }
                if let upgradedHash {
                    try await tx.setPassword(
                        accountID: account.id, hash: upgradedHash, mustChange: current.mustChangePassword)
                }
                if configuration.verifyNewDevices,
                    try await !sessions.isKnownDevice(deviceToken, of: account.id, in: tx, at: now)
                {
                    // L3: the sign-in waits for the code; the code's tries are attempts of their own.
                    let challengeID = try await devices.challenge(current, client: client, in: tx, at: now)
                    try await attempt.release(in: tx)
                    return .deviceVerificationRequired(challengeID: challengeID)
                }
                try await attempt.succeed(in: tx)
                return .signedIn(try await sessions.issue(for: current, rememberingDevice: false, in: tx, at: now))
            }
        }
        guard let result else {
            // Not checked: a locked account takes no guesses.
            try await refuseSignIn(accountID: account.id, reason: "locked", password: password, at: now)
            throw AccountError.invalidCredentials
        }
        return result
    }

    /// The account behind a session token, for requests after sign-in. Refreshes the
    /// idle timer (L4); an idle or expired session is ended. `origin` is where the
    /// request came from, recorded with the administrators' actions it authorises.
    public func authenticate(sessionToken: String, from origin: RequestOrigin = .unknown) async throws
        -> AuthenticatedUser
    {
        try await sessions.authenticate(sessionToken, from: origin, at: clock.now())
    }

    public func signOut(sessionToken: String) async throws {
        try await sessions.signOut(sessionToken, at: clock.now())
    }

    // MARK: Resetting and changing passwords (A4, B2, B4, R1–R7)

    /// R1: "Forgot my password". Answers the same whatever the address: an active or
    /// pending password account gets a link (R2: 24 hours; R3: earlier links stop
    /// working), an SSO account a note that it has no password here (A4), others
    /// nothing. A pending account's owner may have lost the activation e-mail; the
    /// reset link proves the address the same way and activates the account.
    public func requestPasswordReset(login: String, client: ClientAddress? = nil) async throws {
        let now = clock.now()
        try admit(client, at: now)
        guard let login = try? Login(login).value else { return }
        let token = links.newToken()
        try await store.transaction { [self] tx in
            guard let account = try await tx.account(login: login), account.status != .deactivated,
                try await isUnderAddressLimit(account.email, in: tx, at: now)
            else { return }
            if account.authentication == .singleSignOn {
                try await tx.enqueue(links.email(templates.singleSignOnNotice(), to: account.email, at: now))
                return
            }
            try await links.sendReset(
                to: account, token: token, message: templates.passwordReset(token: token, hours: links.resetHours),
                in: tx, at: now)
        }
    }

    /// R1–R3, B2, R7: sets a new password from a reset link. The link is used up (one
    /// of two concurrent uses wins), the lockout ends (L2), every session ends, and a
    /// confirmation goes out by e-mail and, when the account has a phone, SMS.
    public func resetPassword(token: String, newPassword: String) async throws {
        try await requireUsableLink(token, purpose: .passwordReset)
        try await passwordPolicy.requireAcceptable(newPassword, refusal: .unsafePassword)
        let hash = try await hashing.hash(PasswordPolicy.normalized(newPassword))
        let now = clock.now()
        try await store.transaction { [self] tx in
            guard
                let accountID = try await tx.consumeToken(
                    hash: SecretToken.hash(token), purpose: .passwordReset, at: now),
                let account = try await tx.account(id: accountID), account.status != .deactivated
            else { throw AccountError.invalidLink }
            guard account.authentication == .password else { throw AccountError.singleSignOnAccount }
            try await tx.setPassword(accountID: accountID, hash: hash, mustChange: false)
            if account.status == .pending {
                try await tx.setStatus(accountID: accountID, .active)
                try await tx.revokeTokens(accountID: accountID, purpose: .activation, at: now)
                try await tx.append(
                    AuditEvent(at: now, accountID: accountID, kind: .accountActivated, detail: "reset link"))
            }
            try await tx.clearFailedSignIns(accountID: accountID)
            try await revokeSecrets(of: accountID, keepingSession: nil, in: tx, at: now)
            try await tx.enqueue(links.email(templates.resetConfirmation(), to: account.email, at: now))
            if let phone = account.phone {
                try await tx.enqueue(
                    OutgoingMessage(
                        id: makeIdentifier(), channel: .sms, recipient: phone, subject: "",
                        body: templates.resetConfirmationSMS(), createdAt: now))
            }
            try await tx.append(AuditEvent(at: now, accountID: accountID, kind: .passwordResetCompleted))
        }
    }

    /// R4, B4: a signed-in user changes their password: the current one, then the new
    /// one twice. Every other session of the account ends.
    public func changePassword(
        by user: AuthenticatedUser, currentPassword: String, newPassword: String, confirmation: String
    ) async throws {
        guard user.authentication == .password else { throw AccountError.singleSignOnAccount }
        guard newPassword == confirmation else { throw AccountError.passwordConfirmationMismatch }
        try await passwordPolicy.requireAcceptable(newPassword, refusal: .breachedPassword)
        let now = clock.now()
        guard let account = try await store.transaction({ tx in try await tx.account(id: user.accountID) }),
            let storedHash = account.passwordHash
        else { throw AccountError.currentPasswordIncorrect }
        // R4, L2: the current password is guessed like a sign-in: counted first, and a
        // session whose account is locked ends, so a stolen session cannot guess on.
        let changed: Void? = try await attempts.withAttempt(on: account, at: now) { [self] attempt in
            guard
                try await attempt.check({
                    try await hashing.verify(PasswordPolicy.normalized(currentPassword), against: storedHash)
                })
            else {
                if attempt.lockedTheAccount {
                    try await sessions.end(user, reason: "account locked", at: now)
                    throw AccountError.notSignedIn
                }
                throw AccountError.currentPasswordIncorrect
            }
            let hash = try await hashing.hash(PasswordPolicy.normalized(newPassword))
            try await store.transaction { [self] tx in
                // Another change or a reset since the check: the current password is no longer this one.
                guard try await tx.lockedAccount(id: account.id)?.passwordHash == storedHash else {
                    throw AccountError.currentPasswordIncorrect
                }
                try await attempt.succeed(in: tx)
                try await tx.setPassword(accountID: account.id, hash: hash, mustChange: false)
                try await revokeSecrets(of: account.id, keepingSession: user.sessionTokenHash, in: tx, at: now)
                try await tx.enqueue(links.email(templates.passwordChanged(), to: account.email, at: now))
                try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .passwordChanged))
            }
        }
        guard changed != nil else {
            try await sessions.end(user, reason: "account locked", at: now)
            throw AccountError.notSignedIn
        }
    }

    // MARK: Administration (D1, R5, R6, A5)

    /// R5: sends the reset e-mail to another user. Only a super-administrator or a user
    /// administrator may; anyone else gets ``AccountError/forbidden``.
    public func adminSendPasswordReset(login: String, by administrator: AuthenticatedUser) async throws {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(AccessPolicy.maySendReset(by: administrator.role))
        let login = try Login(login).value
        let now = clock.now()
        let token = links.newToken()
        try await store.transaction { [self] tx in
            guard let account = try await tx.account(login: login) else { throw AccountError.unknownAccount }
            guard account.authentication == .password else { throw AccountError.singleSignOnAccount }
            guard account.status == .active else { throw AccountError.accountDeactivated }
            try await tx.append(
                AuditEvent(at: now, accountID: account.id, kind: .adminSentPasswordReset, by: administrator))
            try await links.sendReset(
                to: account, token: token, message: templates.passwordReset(token: token, hours: links.resetHours),
                in: tx, at: now)
        }
    }

    /// R6: in a deployment without e-mail an administrator sets the password; the user
    /// must change it at the next sign-in. Ends the user's sessions and any lockout, and
    /// tells the user by e-mail (where there is a mail server): no administrator takes an
    /// account over unnoticed.
    public func adminSetPassword(login: String, password: String, by administrator: AuthenticatedUser) async throws {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(administrator.role.administersUsers)
        let target = try await existingAccount(login)
        guard target.authentication == .password else { throw AccountError.singleSignOnAccount }
        try AccessPolicy.require(AccessPolicy.mayEdit(target.role, by: administrator.role))
        try await passwordPolicy.requireAcceptable(password, refusal: .breachedPassword)
        let hash = try await hashing.hash(PasswordPolicy.normalized(password))
        let now = clock.now()
        try await store.transaction { [self] tx in
            try await tx.setPassword(accountID: target.id, hash: hash, mustChange: true)
            if target.status == .pending { try await tx.setStatus(accountID: target.id, .active) }
            try await tx.clearFailedSignIns(accountID: target.id)
            try await revokeSecrets(of: target.id, keepingSession: nil, in: tx, at: now)
            try await tx.enqueue(
                links.email(templates.passwordSetByAdministrator(administrator.login), to: target.email, at: now))
            try await tx.append(AuditEvent(at: now, accountID: target.id, kind: .adminSetPassword, by: administrator))
        }
    }

    /// A5: a deactivated account cannot sign in; its sessions end at once. The user is told by e-mail.
    public func deactivate(login: String, by administrator: AuthenticatedUser) async throws {
        try await setStatus(.deactivated, login: login, by: administrator, event: .accountDeactivated)
    }

    /// The account signs in again; the user is told by e-mail.
    public func reactivate(login: String, by administrator: AuthenticatedUser) async throws {
        try await setStatus(.active, login: login, by: administrator, event: .accountReactivated)
    }

    /// D1: roles are managed by administrators; only a super-administrator grants or
    /// takes away super-administrator. The user is told by e-mail.
    public func setRole(_ role: Role, login: String, by administrator: AuthenticatedUser) async throws {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(administrator.role.administersUsers)
        let target = try await existingAccount(login)
        try AccessPolicy.require(AccessPolicy.mayChangeRole(of: target.role, to: role, by: administrator.role))
        guard target.role != role else { return }  // nothing changes: no notice, no audit row
        let now = clock.now()
        try await store.transaction { [self] tx in
            try await tx.setRole(accountID: target.id, role)
            try await tx.enqueue(
                links.email(
                    templates.roleChanged(from: target.role, to: role, by: administrator.login), to: target.email,
                    at: now))
            try await tx.append(
                AuditEvent(
                    at: now, accountID: target.id, kind: .roleChanged, by: administrator,
                    detail: "\(target.role.rawValue)->\(role.rawValue)"))
        }
    }

    /// D1: the users an administrator manages, those whose login or e-mail address
    /// contains `text` (all when it is empty), by login, at most `limit`.
    public func users(containing text: String, limit: Int = 100, by administrator: AuthenticatedUser) async throws
        -> [UserSummary]
    {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(administrator.role.administersUsers)
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        return try await store.transaction { tx in try await tx.accounts(containing: text, limit: limit) }.map(
            UserSummary.init)
    }

    /// The audit log, newest first, `limit` events at most (1…``maximumAuditPage``), those
    /// before the event `before` (the last id of the previous page) when given. For
    /// super-administrators only: it holds every account's events and origins, the
    /// super-administrators' too, which a user administrator may not touch.
    public func auditLog(
        before: String? = nil, limit: Int = defaultAuditPage, by administrator: AuthenticatedUser
    ) async throws -> [AuditEntry] {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(administrator.role == .superAdministrator)
        let limit = min(max(limit, 1), Self.maximumAuditPage)
        return try await store.transaction { tx in try await tx.auditEntries(before: before, limit: limit) }
    }

    /// The most events one page of the audit log holds, and how many it holds unasked.
    public static let maximumAuditPage = 500
    public static let defaultAuditPage = 100

    /// A3: the strength shown while a password is chosen; breached is always weak.
    public func passwordStrength(_ password: String) async -> PasswordStrength {
        let count = try? await passwordPolicy.breachCount(password)
        return PasswordStrength.estimate(
            password, breachCount: count, breached: (count ?? 0) > configuration.breachThreshold,
            minimumLength: configuration.minimumPasswordLength)
    }

    // MARK: Pieces the flows share

    /// R6: a user whose password was set by an administrator changes it before anything else.
    private func requirePasswordChanged(_ user: AuthenticatedUser) throws {
        guard !user.mustChangePassword else { throw AccountError.passwordChangeRequired }
    }

    private func existingAccount(_ login: String) async throws -> Account {
        guard let account = try await existingAccountIfAny(login) else { throw AccountError.unknownAccount }
        return account
    }

    private func existingAccountIfAny(_ login: String) async throws -> Account? {
        guard let login = try? Login(login).value else { return nil }
        return try await store.transaction { tx in try await tx.account(login: login) }
    }

    private func setStatus(
        _ status: AccountStatus, login: String, by administrator: AuthenticatedUser, event: AuditEvent.Kind
    ) async throws {
        try requirePasswordChanged(administrator)
        try AccessPolicy.require(administrator.role.administersUsers)
        let target = try await existingAccount(login)
        try AccessPolicy.require(AccessPolicy.mayEdit(target.role, by: administrator.role))
        guard target.status != status else { return }  // nothing changes: no notice, no audit row
        let now = clock.now()
        try await store.transaction { [self] tx in
            try await tx.setStatus(accountID: target.id, status)
            if status == .deactivated { try await tx.deleteSessions(accountID: target.id, keeping: nil) }
            try await tx.enqueue(
                links.email(
                    templates.accountStatusChanged(to: status, by: administrator.login), to: target.email, at: now))
            try await tx.append(AuditEvent(at: now, accountID: target.id, kind: event, by: administrator))
        }
    }

    /// A sign-in that checks nothing (an unknown login, a locked account) costs what a
    /// checked wrong password does: a committed write before the Argon2 work (there,
    /// the reservation) and one after (there, the failure's record), each an audit row
    /// here, so that neither the hash nor the database's fsync tells the cases apart.
    private func refuseSignIn(accountID: AccountID?, reason: String, password: String, at now: Date) async throws {
        try await store.transaction { tx in
            try await tx.append(AuditEvent(at: now, accountID: accountID, kind: .signInRefused, detail: reason))
        }
        _ = try await hashing.verify(password, against: try await dummyPasswordHash())
        try await store.transaction { tx in
            try await tx.append(
                AuditEvent(at: now, accountID: accountID, kind: .signInRefused, detail: "\(reason): answered"))
        }
    }

    /// A dead link is refused before the password that came with it costs any Argon2
    /// work; the transaction that uses the link checks it again (one of two uses wins).
    private func requireUsableLink(_ token: String, purpose: TokenPurpose) async throws {
        let now = clock.now()
        guard
            try await store.transaction({ tx in
                try await tx.isUsableToken(hash: SecretToken.hash(token), purpose: purpose, at: now)
            })
        else { throw AccountError.invalidLink }
    }

    /// The per-client limit on requests that send mail or make codes.
    private func admit(_ client: ClientAddress?, at now: Date) throws {
        if let client, let wait = clients.admit(client, at: now) {
            throw AccountError.tooManyRequests(retryAfterSeconds: wait)
        }
    }

    /// B3: the right password, now breached. The attempt is given back (the failures
    /// before it still count: knowing a breached password must not wipe them) and a
    /// reset e-mail goes out, unless a reset link is already waiting: repeating the
    /// sign-in must not replace the owner's link each time.
    private func requireReset(of account: Account, releasing attempt: Attempt, at now: Date) async throws {
        let token = links.newToken()
        try await store.transaction { [self] tx in
            try await attempt.release(in: tx)
            try await tx.append(AuditEvent(at: now, accountID: account.id, kind: .breachedPasswordAtSignIn))
            guard try await !tx.hasUsableToken(accountID: account.id, purpose: .passwordReset, at: now) else { return }
            try await links.sendReset(
                to: account, token: token, message: templates.proactiveReset(token: token, hours: links.resetHours),
                in: tx, at: now)
        }
    }

    /// The per-address limit: false when the address had its share of mail this hour
    /// (the request then answers as usual and sends nothing).
    private func isUnderAddressLimit(_ address: String, in tx: any AccountTransaction, at now: Date) async throws
        -> Bool
    {
        try await tx.messageCount(to: address, since: now.addingTimeInterval(-3600))
            < configuration.messagesPerAddressPerHour
    }

    /// A new password ends what the old one let in: other sessions, known devices,
    /// pending device codes and unused reset links (older links must not set a
    /// password over the new one).
    private func revokeSecrets(
        of accountID: AccountID, keepingSession kept: TokenHash?, in tx: any AccountTransaction, at now: Date
    ) async throws {
        try await tx.deleteSessions(accountID: accountID, keeping: kept)
        try await tx.forgetDevices(accountID: accountID)
        try await tx.revokeChallenges(accountID: accountID, at: now)
        try await tx.revokeTokens(accountID: accountID, purpose: .passwordReset, at: now)
    }

    private func dummyPasswordHash() async throws -> String {
        if let hash = dummyHash.withLock({ $0 }) { return hash }
        let hash = try await hashing.hash(SecretToken.make(using: random))
        dummyHash.withLock { $0 = hash }
        return hash
    }
}
