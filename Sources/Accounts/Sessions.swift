import Foundation

/// What a successful sign-in (or activation, or device verification) hands the client.
public struct IssuedSession: Sendable, Equatable, Codable {
    public var accountID: AccountID
    /// The bearer token for later requests; shown once, stored only as a hash.
    public var sessionToken: String
    /// The session's absolute end; it ends sooner after the idle timeout (L4).
    public var expiresAt: Date
    /// Present when this step made the device known (L3): send it with later sign-ins.
    public var deviceToken: String?
    /// R6: the password was set by an administrator and must be changed first.
    public var mustChangePassword: Bool
}

/// The answer to a sign-in with the right password.
public enum SignInResult: Sendable, Equatable {
    case signedIn(IssuedSession)
    /// L3: the device is not known; a code went to the account's e-mail address.
    /// `challengeID` is the challenge's handle, for this client alone: its identifier and
    /// the secret that binds the code to this client. Keep it as secret as a session token.
    case deviceVerificationRequired(challengeID: String)
}

/// The account behind a valid session, for one request.
public struct AuthenticatedUser: Sendable, Equatable {
    public var accountID: AccountID
    public var login: String
    public var email: String
    public var role: Role
    public var authentication: AuthenticationMethod
    public var mustChangePassword: Bool
    /// Where the request that presented the session came from (the audit log of
    /// administrators' actions records it).
    public var origin: RequestOrigin
    let sessionTokenHash: TokenHash
}
