import Accounts
import Hummingbird

/// Sign-in identity for the account routes that need one: the session token in
/// `Authorization: Bearer` is resolved once, here, to the signed-in user on the request
/// context (L4: which refreshes its idle timer); without a valid one the route is not
/// reached and the answer is 401 `not_signed_in`.
struct SessionMiddleware: RouterMiddleware {
    let accounts: AccountService

    func handle(_ request: Request, context: BreachRequestContext,
                next: (Request, BreachRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = try await accounts.authenticate(sessionToken: try Self.sessionToken(request))
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer TOKEN`.
    static func sessionToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw AccountError.notSignedIn
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}

extension BreachRequestContext {
    /// The user ``SessionMiddleware`` signed in; only routes behind it ask.
    func signedInUser() throws -> AuthenticatedUser {
        guard let identity else { throw AccountError.notSignedIn }
        return identity
    }
}
