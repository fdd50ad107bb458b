import Accounts
import Foundation
import Hummingbird

/// The account flows as JSON under `/v1/accounts` (`breachdb serve --accounts`).
/// A session is `Authorization: Bearer SESSION_TOKEN`. Answers that must not tell
/// whether an address is registered (sign-up, reset request) are always 202.
struct AccountRoutes {
    let accounts: AccountService
    static let bodyLimit = 16 << 10

    func register(on router: Router<BreachRequestContext>) {
        let group = router.group("v1/accounts")
        group.post("sign-up") { request, _ in
            let body: SignUp = try await decode(request)
            try await map { try await accounts.signUp(email: body.email, password: body.password, phone: body.phone) }
            return try JSONBody.response(Status(status: "check_your_email"), status: .accepted)
        }
        group.post("activate") { request, _ in
            let body: Activate = try await decode(request)
            return try JSONBody.response(try await map { try await accounts.activate(token: body.token, password: body.password) })
        }
        group.post("sign-in") { request, _ in
            let body: SignIn = try await decode(request)
            switch try await map({ try await accounts.signIn(login: body.login, password: body.password, deviceToken: body.deviceToken) }) {
            case .signedIn(let session):
                return try JSONBody.response(session)
            case .deviceVerificationRequired(let challengeID):
                return try JSONBody.response(DeviceChallenge(deviceVerificationRequired: true, challengeId: challengeID), status: .accepted)
            }
        }
        group.post("verify-device") { request, _ in
            let body: VerifyDevice = try await decode(request)
            return try JSONBody.response(try await map { try await accounts.verifyDevice(challengeID: body.challengeId, code: body.code) })
        }
        group.post("sign-out") { request, _ in
            try await map { try await accounts.signOut(sessionToken: try Self.sessionToken(request)) }
            return Response(status: .noContent)
        }
        group.get("me") { request, _ in
            let user = try await map { try await accounts.authenticate(sessionToken: try Self.sessionToken(request)) }
            return try JSONBody.response(Me(id: user.accountID, login: user.login, email: user.email, role: user.role,
                                            authentication: user.authentication, mustChangePassword: user.mustChangePassword))
        }
        group.post("password-strength") { request, _ in
            let body: Password = try await decode(request)
            return try JSONBody.response(await accounts.passwordStrength(body.password))
        }
        group.post("password-reset/request") { request, _ in
            let body: Login = try await decode(request)
            try await map { try await accounts.requestPasswordReset(login: body.login) }
            return try JSONBody.response(Status(status: "check_your_email"), status: .accepted)
        }
        group.post("password-reset") { request, _ in
            let body: Reset = try await decode(request)
            try await map { try await accounts.resetPassword(token: body.token, newPassword: body.newPassword) }
            return Response(status: .noContent)
        }
        group.post("password") { request, _ in
            let body: Change = try await decode(request)
            try await map {
                try await accounts.changePassword(sessionToken: try Self.sessionToken(request), currentPassword: body.currentPassword,
                                                  newPassword: body.newPassword, confirmation: body.confirmation)
            }
            return Response(status: .noContent)
        }

        let admin = group.group("admin/users")
        admin.post { request, _ in
            let body: Invite = try await decode(request)
            let id = try await map {
                try await accounts.invite(login: body.login, email: body.email, phone: body.phone, role: body.role ?? .user,
                                          authentication: body.authentication ?? .password, by: try Self.sessionToken(request))
            }
            return try JSONBody.response(["id": id], status: .created)
        }
        admin.post(":login/password-reset") { request, context in
            let login = try context.parameters.require("login")
            try await map { try await accounts.adminSendPasswordReset(login: login, by: try Self.sessionToken(request)) }
            return try JSONBody.response(Status(status: "sent"), status: .accepted)
        }
        admin.put(":login/password") { request, context in
            let login = try context.parameters.require("login")
            let body: Password = try await decode(request)
            try await map { try await accounts.adminSetPassword(login: login, password: body.password, by: try Self.sessionToken(request)) }
            return Response(status: .noContent)
        }
        admin.put(":login/role") { request, context in
            let login = try context.parameters.require("login")
            let body: RoleChange = try await decode(request)
            try await map { try await accounts.setRole(body.role, login: login, by: try Self.sessionToken(request)) }
            return Response(status: .noContent)
        }
        admin.post(":login/deactivate") { request, context in
            let login = try context.parameters.require("login")
            try await map { try await accounts.deactivate(login: login, by: try Self.sessionToken(request)) }
            return Response(status: .noContent)
        }
        admin.post(":login/reactivate") { request, context in
            let login = try context.parameters.require("login")
            try await map { try await accounts.reactivate(login: login, by: try Self.sessionToken(request)) }
            return Response(status: .noContent)
        }
    }

    private func decode<T: Decodable>(_ request: Request) async throws -> T {
        try await JSONBody.decode(request, limit: Self.bodyLimit)
    }

    private static func sessionToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw AccountError.notSignedIn
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// Runs a flow, answering its refusal as a JSON error with a fitting status.
    private func map<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AccountError {
            var response = APIError(status: Self.status(of: error), code: error.code, message: error.message)
            response.explanation = error.explanation
            if error == .notSignedIn { response.headers = [.wwwAuthenticate: "Bearer"] }
            throw response
        }
    }

    static func status(of error: AccountError) -> HTTPResponse.Status {
        switch error {
        case .invalidCredentials, .notSignedIn: .unauthorized
        case .accountDeactivated, .accountNotActivated, .passwordResetRequired, .passwordChangeRequired, .forbidden: .forbidden
        case .singleSignOnAccount, .loginTaken: .conflict
        case .breachedPassword, .unsafePassword, .passwordTooShort, .passwordTooLong, .passwordConfirmationMismatch: .unprocessableContent
        case .currentPasswordIncorrect, .invalidLink, .invalidDeviceCode, .invalidLogin, .invalidPhone: .badRequest
        case .unknownAccount: .notFound
        case .breachCheckUnavailable: .serviceUnavailable
        }
    }

    private struct SignUp: Decodable { var email: String; var password: String; var phone: String? }
    private struct Activate: Decodable { var token: String; var password: String? }
    private struct SignIn: Decodable { var login: String; var password: String; var deviceToken: String? }
    private struct VerifyDevice: Decodable { var challengeId: String; var code: String }
    private struct Login: Decodable { var login: String }
    private struct Password: Decodable { var password: String }
    private struct Reset: Decodable { var token: String; var newPassword: String }
    private struct Change: Decodable { var currentPassword: String; var newPassword: String; var confirmation: String }
    private struct Invite: Decodable {
        var email: String
        var login: String?
        var phone: String?
        var role: Role?
        var authentication: AuthenticationMethod?
    }
    private struct RoleChange: Decodable { var role: Role }
    private struct Status: Encodable { var status: String }
    private struct DeviceChallenge: Encodable { var deviceVerificationRequired: Bool; var challengeId: String }
    private struct Me: Encodable {
        var id: String
        var login: String
        var email: String
        var role: Role
        var authentication: AuthenticationMethod
        var mustChangePassword: Bool
    }
}
