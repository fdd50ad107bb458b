import Accounts
import BreachServer
import BreachSupport
import Foundation
import Hummingbird

/// The account flows as JSON under `/v1/accounts` (`breachdb serve --accounts`).
/// A session is `Authorization: Bearer SESSION_TOKEN`. Answers that must not tell
/// whether an address is registered (sign-up, reset request) are always 202.
public struct AccountRoutes: ServerRoutes {
    let accounts: AccountService
    /// `--no-plaintext`: password-strength takes a plaintext password, so it is off too.
    var allowPlaintext = true
    /// `--token-file`: password-strength tells how often a password was breached, so it
    /// needs the same token as `/v1/check`.
    var apiTokens: BearerTokens?
    static let bodyLimit = 16 << 10

    public init(accounts: AccountService, allowPlaintext: Bool = true, apiTokens: [String]? = nil) {
        self.accounts = accounts
        self.allowPlaintext = allowPlaintext
        self.apiTokens = apiTokens.map(BearerTokens.init)
    }

    public func register(on router: some RouterMethods<BreachRequestContext>) {
        let group = router.group("v1/accounts")
        group.post("sign-up") { request, context in
            let body: SignUp = try await decode(request)
            try await accounts.signUp(email: body.email, client: Self.client(context))
            return try JSONBody.response(Status(status: "check_your_email"), status: .accepted)
        }
        group.post("activate") { request, _ in
            let body: Activate = try await decode(request)
            return try Self.secret(try await accounts.activate(token: body.token, password: body.password))
        }
        group.post("sign-in") { request, context in
            let body: SignIn = try await decode(request)
            switch try await accounts.signIn(
                login: body.login, password: body.password, deviceToken: body.deviceToken, client: Self.client(context))
            {
            case .signedIn(let session):
                return try Self.secret(session)
            case .deviceVerificationRequired(let challengeID):
                // The handle's secret binds the code to this client (L3).
                return try Self.secret(
                    DeviceChallenge(deviceVerificationRequired: true, challengeId: challengeID), status: .accepted)
            }
        }
        group.post("verify-device") { request, _ in
            let body: VerifyDevice = try await decode(request)
            return try Self.secret(try await accounts.verifyDevice(challengeID: body.challengeId, code: body.code))
        }
        group.post("sign-out") { request, _ in
            try await accounts.signOut(sessionToken: try sessionToken(request))
            return Response(status: .noContent)
        }
        // The routes of a signed-in user resolve the session first, before reading the body.
        group.get("me") { request, context in
            let user = try await accounts.signedInUser(request, context)
            return try JSONBody.response(
                Me(
                    id: user.accountID, login: user.login, email: user.email, role: user.role,
                    authentication: user.authentication, mustChangePassword: user.mustChangePassword))
        }
        let strength = group.group("password-strength")
        if let apiTokens { strength.add(middleware: BearerTokenMiddleware(tokens: apiTokens)) }
        strength.post { [allowPlaintext] request, _ in
            guard allowPlaintext else {
                throw APIError.badRequest(
                    "plaintext_disabled", "this server accepts no plaintext passwords (--no-plaintext)")
            }
            let body: Password = try await decode(request)
            return try JSONBody.response(await accounts.passwordStrength(body.password))
        }
        group.post("password-reset/request") { request, context in
            let body: Login = try await decode(request)
            try await accounts.requestPasswordReset(login: body.login, client: Self.client(context))
            return try JSONBody.response(Status(status: "check_your_email"), status: .accepted)
        }
        group.post("password-reset") { request, _ in
            let body: Reset = try await decode(request)
            try await accounts.resetPassword(token: body.token, newPassword: body.newPassword)
            return Response(status: .noContent)
        }
        group.post("password") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let body: Change = try await decode(request)
            try await accounts.changePassword(
                by: user, currentPassword: body.currentPassword,
                newPassword: body.newPassword, confirmation: body.confirmation)
            return Response(status: .noContent)
        }

        // D1: the audit log, newest first, a page at a time (`before`: the previous page's last id).
        group.get("admin/audit") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let query = request.uri.queryParameters
            let limit = try query.get("limit").map { text in
                guard let limit = Int(text), (1...AccountService.maximumAuditPage).contains(limit) else {
                    throw APIError.badRequest(
                        "invalid_limit", "limit must be a whole number from 1 to \(AccountService.maximumAuditPage)")
                }
                return limit
            }
            let entries = try await accounts.auditLog(
                before: query.get("before"), limit: limit ?? AccountService.defaultAuditPage, by: user)
            return try JSONBody.response(
                AuditPage(
                    events: entries.map(AuditPage.Event.init),
                    next: entries.count == (limit ?? AccountService.defaultAuditPage) ? entries.last?.id : nil))
        }

        let admin = group.group("admin/users")
        admin.post { request, context in
            let user = try await accounts.signedInUser(request, context)
            let body: Invite = try await decode(request)
            let id = try await accounts.invite(
                login: body.login, email: body.email, phone: body.phone, role: body.role ?? .user,
                authentication: body.authentication ?? .password, by: user)
            return try JSONBody.response(["id": id], status: .created)
        }
        admin.post(":login/password-reset") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let login = try context.parameters.require("login")
            try await accounts.adminSendPasswordReset(login: login, by: user)
            return try JSONBody.response(Status(status: "sent"), status: .accepted)
        }
        admin.put(":login/password") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let login = try context.parameters.require("login")
            let body: Password = try await decode(request)
            try await accounts.adminSetPassword(login: login, password: body.password, by: user)
            return Response(status: .noContent)
        }
        admin.put(":login/role") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let login = try context.parameters.require("login")
            let body: RoleChange = try await decode(request)
            try await accounts.setRole(body.role, login: login, by: user)
            return Response(status: .noContent)
        }
        admin.post(":login/deactivate") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let login = try context.parameters.require("login")
            try await accounts.deactivate(login: login, by: user)
            return Response(status: .noContent)
        }
        admin.post(":login/reactivate") { request, context in
            let user = try await accounts.signedInUser(request, context)
            let login = try context.parameters.require("login")
            try await accounts.reactivate(login: login, by: user)
            return Response(status: .noContent)
        }
    }

    private func decode<T: Decodable>(_ request: Request) async throws -> T {
        try await JSONBody.decode(request, limit: Self.bodyLimit)
    }

    /// An answer that carries a session, device token or challenge secret: no cache along
    /// the way may keep it.
    private static func secret(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try JSONBody.response(value, status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The client a per-client limit counts, as the server resolved it for its rate limit.
    private static func client(_ context: BreachRequestContext) -> ClientAddress {
        context.client
    }

    static func status(of error: AccountError) -> HTTPResponse.Status {
        switch error {
        case .invalidCredentials, .notSignedIn: .unauthorized
        case .accountDeactivated, .accountNotActivated, .passwordResetRequired, .passwordChangeRequired, .forbidden:
            .forbidden
        case .singleSignOnAccount, .loginTaken: .conflict
        case .breachedPassword, .unsafePassword, .passwordTooShort, .passwordTooLong, .passwordConfirmationMismatch:
            .unprocessableContent
        case .currentPasswordIncorrect, .invalidLink, .invalidDeviceCode, .invalidLogin, .invalidPhone: .badRequest
        case .unknownAccount: .notFound
        case .breachCheckUnavailable, .busy: .serviceUnavailable
        case .tooManyRequests: .tooManyRequests
        }
    }

    /// Only the address: a password or phone number sent here is not kept (its sender
    /// need not own the address); the activation link sets the password.
    private struct SignUp: Decodable { var email: String }
    private struct Activate: Decodable {
        var token: String
        var password: String
    }
    private struct SignIn: Decodable {
        var login: String
        var password: String
        var deviceToken: String?
    }
    private struct VerifyDevice: Decodable {
        var challengeId: String
        var code: String
    }
    private struct Login: Decodable { var login: String }
    private struct Password: Decodable { var password: String }
    private struct Reset: Decodable {
        var token: String
        var newPassword: String
    }
    private struct Change: Decodable {
        var currentPassword: String
        var newPassword: String
        var confirmation: String
    }
    private struct Invite: Decodable {
        var email: String
        var login: String?
        var phone: String?
        var role: Role?
        var authentication: AuthenticationMethod?
    }
    private struct RoleChange: Decodable { var role: Role }
    private struct Status: Encodable { var status: String }
    private struct DeviceChallenge: Encodable {
        var deviceVerificationRequired: Bool
        var challengeId: String
    }
    private struct AuditPage: Encodable {
        struct Event: Encodable {
            var id: String
            var at: Date
            var kind: String
            var accountId: AccountID?
            var account: String?
            var actorId: AccountID?
            var actor: String?
            var clientAddress: String?
            var userAgent: String?
            var detail: String

            init(_ entry: AuditEntry) {
                id = entry.id
                at = entry.event.at
                kind = entry.event.kind.rawValue
                accountId = entry.event.accountID
                account = entry.accountLogin
                actorId = entry.event.actorID
                actor = entry.actorLogin
                clientAddress = entry.event.origin.clientAddress
                userAgent = entry.event.origin.userAgent
                detail = entry.event.detail
            }
        }
        var events: [Event]
        /// The `before` of the next page; absent on the last.
        var next: String?
    }
    private struct Me: Encodable {
        var id: AccountID
        var login: String
        var email: String
        var role: Role
        var authentication: AuthenticationMethod
        var mustChangePassword: Bool
    }
}

/// An account refusal, thrown by any route, answers as a JSON error with the status that
/// fits it (Hummingbird turns an `HTTPResponseError` into its response).
extension AccountError: HTTPResponseError {
    public var status: HTTPResponse.Status { AccountRoutes.status(of: self) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var error = APIError(status: status, code: code, message: message)
        error.explanation = explanation
        switch self {
        case .notSignedIn: error.headers = [.wwwAuthenticate: "Bearer"]
        case .tooManyRequests(let seconds), .busy(let seconds): error.headers = [.retryAfter: "\(seconds)"]
        default: break
        }
        return try error.response(from: request, context: context)
    }
}
