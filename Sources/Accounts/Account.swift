import Foundation

/// Roles (D1, R5): `superAdministrator` may do everything; `userAdministrator` may add
/// and edit users; `user` manages only their own account.
public enum Role: String, Sendable, Codable, CaseIterable {
    case superAdministrator = "super_admin"
    case userAdministrator = "user_admin"
    case user

    /// May add users, edit them and send them reset e-mails (R5, D1).
    public var administersUsers: Bool { self != .user }
}

/// How an account proves who it is (A4).
public enum AuthenticationMethod: String, Sendable, Codable {
    case password
    /// An external identity provider: there is no password here to set, change or reset.
    case singleSignOn = "sso"
}

public enum AccountStatus: String, Sendable, Codable {
    /// Created (invited or signed up); the activation link has not been followed yet.
    case pending
    case active
    /// May not sign in (A5).
    case deactivated
}

/// An account as stored. The login identifier is its own field (A1): the e-mail
/// address for online users, an assigned user name where a deployment wants one.
public struct Account: Sendable, Equatable {
    public var id: AccountID
    public var login: String
    public var email: String
    public var phone: String?
    public var role: Role
    public var authentication: AuthenticationMethod
    public var status: AccountStatus
    /// Argon2id PHC string; nil until a password is set (and always for SSO).
    public var passwordHash: String?
    /// Set when an administrator chose the password (R6): it must be changed at sign-in.
    public var mustChangePassword: Bool
    /// Consecutive failed sign-ins since the last success or reset (L1, L2).
    public var failedSignIns: Int
    public var lockedUntil: Date?
    public var createdAt: Date

    public init(
        id: AccountID, login: String, email: String, phone: String? = nil, role: Role = .user,
        authentication: AuthenticationMethod = .password, status: AccountStatus = .pending,
        passwordHash: String? = nil, mustChangePassword: Bool = false, failedSignIns: Int = 0,
        lockedUntil: Date? = nil, createdAt: Date
    ) {
        self.id = id
        self.login = login
        self.email = email
        self.phone = phone
        self.role = role
        self.authentication = authentication
        self.status = status
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.failedSignIns = failedSignIns
        self.lockedUntil = lockedUntil
        self.createdAt = createdAt
    }
}

/// What a one-time link is for.
public enum TokenPurpose: String, Sendable {
    case activation
    case passwordReset = "password_reset"
}

/// A stored session: the token's hash, never the token.
public struct StoredSession: Sendable {
    public var tokenHash: TokenHash
    public var accountID: AccountID
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date

    public init(tokenHash: TokenHash, accountID: AccountID, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.accountID = accountID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

/// A pending e-mail code for an unrecognised device (L3).
public struct DeviceChallenge: Sendable {
    public var id: String
    public var accountID: AccountID
    public var codeHash: TokenHash
    public var createdAt: Date
    public var expiresAt: Date
    /// Tries taken so far, right or wrong: each is counted before the code is compared.
    public var tries: Int
    public var usedAt: Date?

    public init(
        id: String, accountID: AccountID, codeHash: TokenHash, createdAt: Date, expiresAt: Date, tries: Int = 0,
        usedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.codeHash = codeHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.tries = tries
        self.usedAt = usedAt
    }
}

/// A security event for the audit log; `detail` never holds a secret.
public struct AuditEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case accountCreated = "account_created"
        case accountActivated = "account_activated"
        case signInSucceeded = "sign_in_succeeded"
        case signInFailed = "sign_in_failed"
        /// Refused without a check (an unknown login, a locked account).
        case signInRefused = "sign_in_refused"
        case lockout
        case deviceChallengeSent = "device_challenge_sent"
        case deviceVerified = "device_verified"
        case breachedPasswordAtSignIn = "breached_password_at_sign_in"
        case passwordResetRequested = "password_reset_requested"
        case passwordResetCompleted = "password_reset_completed"
        case passwordChanged = "password_changed"
        case adminSentPasswordReset = "admin_sent_password_reset"
        case adminSetPassword = "admin_set_password"
        case roleChanged = "role_changed"
        case accountDeactivated = "account_deactivated"
        case accountReactivated = "account_reactivated"
        case signedOut = "signed_out"
    }

    public var at: Date
    public var accountID: AccountID?
    public var kind: Kind
    /// Who did it, when not the account itself (an administrator's account id).
    public var actorID: AccountID?
    public var detail: String
    /// Where an administrator's action came from (the client's address and user agent);
    /// unknown for the rest.
    public var origin: RequestOrigin

    public init(
        at: Date, accountID: AccountID?, kind: Kind, actorID: AccountID? = nil, detail: String = "",
        origin: RequestOrigin = .unknown
    ) {
        self.at = at
        self.accountID = accountID
        self.kind = kind
        self.actorID = actorID
        self.detail = detail
        self.origin = origin
    }

    /// D1: an administrator's action on `accountID`, with who did it and from where.
    init(at: Date, accountID: AccountID, kind: Kind, by administrator: AuthenticatedUser, detail: String = "") {
        self.init(
            at: at, accountID: accountID, kind: kind, actorID: administrator.accountID, detail: detail,
            origin: administrator.origin)
    }
}

/// An audit event as the administrators' log shows it (D1): with its id (the paging
/// cursor) and the logins of the account and the actor, when they still exist.
public struct AuditEntry: Sendable, Equatable {
    public var id: String
    public var event: AuditEvent
    public var accountLogin: String?
    public var actorLogin: String?

    public init(id: String, event: AuditEvent, accountLogin: String?, actorLogin: String?) {
        self.id = id
        self.event = event
        self.accountLogin = accountLogin
        self.actorLogin = actorLogin
    }
}

/// What an administrator's list shows of an account (D1): no secrets.
public struct UserSummary: Sendable, Equatable {
    public var login: String
    public var email: String
    public var role: Role
    public var authentication: AuthenticationMethod
    public var status: AccountStatus

    init(_ account: Account) {
        login = account.login
        email = account.email
        role = account.role
        authentication = account.authentication
        status = account.status
    }
}
