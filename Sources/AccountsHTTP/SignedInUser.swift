import Accounts
import BreachServer
import Hummingbird

extension AccountService {
    /// The user a request's session belongs to: the token of `Authorization: Bearer`,
    /// resolved (L4: which refreshes its idle timer), with where the request came from.
    /// Without a valid one the route goes no further and the answer is 401 `not_signed_in`.
    func signedInUser(_ request: Request, _ context: BreachRequestContext) async throws -> AuthenticatedUser {
        try await authenticate(sessionToken: try sessionToken(request), from: request.origin(context))
    }
}

extension Request {
    /// Where the request came from, for the audit log: the client as the request policy
    /// resolved it for every limit, and its `User-Agent`.
    public func origin(_ context: BreachRequestContext) -> RequestOrigin {
        RequestOrigin(client: context.client, userAgent: headers[.userAgent])
    }
}

/// The session token of `Authorization: Bearer TOKEN`.
func sessionToken(_ request: Request) throws -> String {
    guard let token = bearerCredential(request.headers[.authorization]) else { throw AccountError.notSignedIn }
    return token
}
