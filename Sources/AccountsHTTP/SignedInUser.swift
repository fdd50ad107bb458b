import Accounts
import BreachServer
import Hummingbird

extension AccountService {
    /// The user a request's session belongs to: the token of `Authorization: Bearer`,
    /// resolved (L4: which refreshes its idle timer). Without a valid one the route goes no
    /// further and the answer is 401 `not_signed_in`.
    func signedInUser(_ request: Request) async throws -> AuthenticatedUser {
        try await authenticate(sessionToken: try sessionToken(request))
    }
}

/// The session token of `Authorization: Bearer TOKEN`.
func sessionToken(_ request: Request) throws -> String {
    guard let token = bearerCredential(request.headers[.authorization]) else { throw AccountError.notSignedIn }
    return token
}
