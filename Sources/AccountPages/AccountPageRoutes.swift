import Accounts
import AccountsHTTP
import BreachServer
import BreachSupport
import Foundation
import Hummingbird

/// The account flows as pages for a browser, beside the JSON API on the same daemon and
/// calling the same ``AccountService``: no rule is decided here. Plain forms, POST →
/// redirect → GET, so everything works without JavaScript; the session lives in a
/// cookie, and every POST must carry the anti-CSRF token or is refused (403) before
/// its form is acted on.
public struct AccountPageRoutes: ServerRoutes {
    let accounts: AccountService
    let renderer: PageRenderer
    let cookies: PageCookies
    let csrf: CSRFTokens
    static let formLimit = 16 << 10
    static let linkSeconds = 60 * 60

    /// - Parameters:
    ///   - secure: served over TLS, so the cookies are `Secure` and `__Host-` named.
    ///   - productName: shown in every page's title and header.
    public init(accounts: AccountService, resources: PageResources, productName: String, secure: Bool) {
        let cookies = PageCookies(secure: secure)
        // A key per process: a form outlives neither a restart nor a move to another node.
        let csrf = CSRFTokens(key: SystemRandomSource().bytes(count: 32))
        self.init(
            accounts: accounts,
            renderer: PageRenderer(resources: resources, productName: productName, cookies: cookies, csrf: csrf),
            cookies: cookies, csrf: csrf)
    }

    private init(accounts: AccountService, renderer: PageRenderer, cookies: PageCookies, csrf: CSRFTokens) {
        self.accounts = accounts
        self.renderer = renderer
        self.cookies = cookies
        self.csrf = csrf
    }

    public func register(on router: some RouterMethods<BreachRequestContext>) {
        router.get("/") { request, context in
            try await signedInUser(request, context) == nil
                ? PageRenderer.redirect(to: "/sign-in") : PageRenderer.redirect(to: "/account")
        }
        router.get("pages/:file") { _, context in
            let name = try context.parameters.require("file")
            guard let file = renderer.resources.staticFiles[name] else { return Response(status: .notFound) }
            var headers = PageRenderer.headers(contentType: file.contentType)
            headers[.cacheControl] = "public, max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.body)))
        }
        router.get("language/:code") { request, context in
            let code = try context.parameters.require("code")
            var response = PageRenderer.redirect(
                to: Self.localPath(request.uri.queryParameters["next"].map(String.init)))
            if renderer.languages.contains(code) {
                response.setCookie(cookies.make(cookies.language, code, maxAge: 365 * 86400))
            }
            return response
        }
        registerSignIn(on: router)
        registerLinks(on: router)
        registerAccount(on: router)
        registerAdministration(on: router)
    }

    // MARK: Signing in and out (A5, B3, L1–L3)

    private func registerSignIn(on router: some RouterMethods<BreachRequestContext>) {
        router.get("sign-in") { request, context in
            if try await signedInUser(request, context) != nil { return PageRenderer.redirect(to: "/account") }
            return renderer.render("sign-in", notice(request), request: request)
        }
        router.post("sign-in") { request, context in
            let form = try await verifiedForm(request)
            let login = form.login ?? ""
            do {
                switch try await accounts.signIn(
                    login: login, password: form.password ?? "", deviceToken: request.cookies[cookies.device]?.value,
                    client: context.client)
                {
                case .signedIn(let session):
                    return await signedIn(session, request: request)
                case .deviceVerificationRequired(let challengeID):
                    var response = PageRenderer.redirect(to: "/sign-in/code")
                    response.setCookie(
                        cookies.make(
                            cookies.challenge, challengeID,
                            maxAge: Int(accounts.configuration.deviceCodeLifetime.timeInterval)))
                    return response
                }
            } catch let error as AccountError {
                return refusal(error, page: "sign-in", ["login": login], request: request)
            }
        }
        router.get("sign-in/code") { request, _ in
            guard request.cookies[cookies.challenge] != nil else { return PageRenderer.redirect(to: "/sign-in") }
            return renderer.render("device-code", request: request)
        }
        router.post("sign-in/code") { request, _ in
            let form = try await verifiedForm(request)
            guard let challenge = request.cookies[cookies.challenge]?.value else {
                return PageRenderer.redirect(to: "/sign-in")
            }
            do {
                var response = await signedIn(
                    try await accounts.verifyDevice(challengeID: challenge, code: form.code ?? ""), request: request)
                response.setCookie(cookies.expired(cookies.challenge))
                return response
            } catch let error as AccountError {
                return refusal(error, page: "device-code", request: request)
            }
        }
        router.post("sign-out") { request, _ in
            _ = try await verifiedForm(request)
            if let token = request.cookies[cookies.session]?.value { try? await accounts.signOut(sessionToken: token) }
            var response = PageRenderer.redirect(to: "/sign-in?notice=signed_out")
            response.setCookie(cookies.expired(cookies.session))
            response.setCookie(cookies.make(cookies.csrf, CSRFTokens.newSecret()))
            return response
        }
    }

    /// A new session: the one the browser had (if any) ends on the server, the cookie and
    /// the CSRF secret are replaced (no session fixation), and a device token, when this
    /// step made the browser known (L3), is remembered.
    private func signedIn(_ session: IssuedSession, request: Request) async -> Response {
        if let old = request.cookies[cookies.session]?.value { try? await accounts.signOut(sessionToken: old) }
        var response = PageRenderer.redirect(to: "/account")
        let lifetime = Int(session.expiresAt.timeIntervalSinceNow)
        response.setCookie(cookies.make(cookies.session, session.sessionToken, maxAge: max(lifetime, 0)))
        response.setCookie(cookies.make(cookies.csrf, CSRFTokens.newSecret()))
        if let device = session.deviceToken {
            response.setCookie(
                cookies.make(
                    cookies.device, device, maxAge: Int(accounts.configuration.rememberedDeviceLifetime.timeInterval)))
        }
        return response
    }

    // MARK: The e-mailed links: activation (A2, B1) and reset (R1–R3, B2)

    private func registerLinks(on router: some RouterMethods<BreachRequestContext>) {
        for path in ["activate", "reset-password"] {
            // The token leaves the address bar (and the history) at once: kept in a cookie,
            // and the page is reached again without it.
            router.get(RouterPath(path)) { request, _ in
                if let token = request.uri.queryParameters["token"] {
                    var response = PageRenderer.redirect(to: "/\(path)")
                    // Only what a token can be goes into the cookie (no `;` or spaces from a crafted link).
                    if Self.isTokenShaped(token) {
                        response.setCookie(cookies.make(cookies.link, String(token), maxAge: Self.linkSeconds))
                    } else {
                        response.setCookie(cookies.expired(cookies.link))
                    }
                    return response
                }
                guard request.cookies[cookies.link] != nil else {
                    return renderer.render(
                        "invalid-link",
                        ["error": renderer.error(.invalidLink, language: renderer.language(of: request))],
                        request: request, status: .badRequest)
                }
                return renderer.render(path, request: request)
            }
        }
        router.post("activate") { request, _ in
            let form = try await verifiedForm(request)
            do {
                let session = try await accounts.activate(
                    token: request.cookies[cookies.link]?.value ?? "", password: form.password ?? "")
                var response = await signedIn(session, request: request)
                response.setCookie(cookies.expired(cookies.link))
                return response
            } catch let error as AccountError {
                return refusal(error, page: error == .invalidLink ? "invalid-link" : "activate", request: request)
            }
        }
        router.post("reset-password") { request, _ in
            let form = try await verifiedForm(request)
            do {
                try await accounts.resetPassword(
                    token: request.cookies[cookies.link]?.value ?? "", newPassword: form.password ?? "")
                var response = PageRenderer.redirect(to: "/sign-in?notice=password_reset")
                response.setCookie(cookies.expired(cookies.link))
                return response
            } catch let error as AccountError {
                return refusal(error, page: error == .invalidLink ? "invalid-link" : "reset-password", request: request)
            }
        }
        router.get("forgot-password") { request, _ in
            renderer.render("forgot-password", notice(request), request: request)
        }
        router.post("forgot-password") { request, context in
            let form = try await verifiedForm(request)
            do {
                try await accounts.requestPasswordReset(login: form.email ?? "", client: context.client)
            } catch let error as AccountError {
                return refusal(error, page: "forgot-password", ["email": form.email ?? ""], request: request)
            }
            return PageRenderer.redirect(to: "/forgot-password?notice=reset_sent")
        }
    }

    // MARK: The signed-in user's page (R4, B4, R6)

    private func registerAccount(on router: some RouterMethods<BreachRequestContext>) {
        router.get("account") { request, context in
            guard let user = try await signedInUser(request, context) else {
                return PageRenderer.redirect(to: "/sign-in")
            }
            var values = notice(request)
            values["mustChange"] = user.mustChangePassword  // R6: the forced change
            return renderer.render("account", values, request: request, user: user)
        }
        router.post("account/password") { request, context in
            let form = try await verifiedForm(request)
            guard let user = try await signedInUser(request, context) else {
                return PageRenderer.redirect(to: "/sign-in")
            }
            do {
                try await accounts.changePassword(
                    by: user, currentPassword: form.currentPassword ?? "", newPassword: form.password ?? "",
                    confirmation: form.confirmation ?? "")
            } catch AccountError.notSignedIn {
                // The wrong answer that locked the account also ended this session.
                var response = PageRenderer.redirect(to: "/sign-in")
                response.setCookie(cookies.expired(cookies.session))
                return response
            } catch let error as AccountError {
                return refusal(error, page: "account", request: request, user: user)
            }
            return PageRenderer.redirect(to: "/account?notice=password_changed")
        }
    }

    // MARK: Administration (D1, R5, R6, A5)

    private func registerAdministration(on router: some RouterMethods<BreachRequestContext>) {
        router.get("admin/users") { request, context in
            guard let user = try await signedInUser(request, context) else {
                return PageRenderer.redirect(to: "/sign-in")
            }
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            do {
                return renderer.render(
                    "admin-users", try await administrationValues(query: query, request: request, by: user),
                    request: request, user: user)
            } catch let error as AccountError {
                return refusal(error, page: "account", request: request, user: user)
            }
        }
        router.post("admin/users") { request, context in
            let form = try await verifiedForm(request)
            guard let user = try await signedInUser(request, context) else {
                return PageRenderer.redirect(to: "/sign-in")
            }
            let login = form.login ?? "", query = form.q ?? ""
            do {
                let notice: String
                switch form.action {
                case "send_reset":
                    try await accounts.adminSendPasswordReset(login: login, by: user)
                    notice = "reset_sent_to"
                case "set_password":
                    try await accounts.adminSetPassword(login: login, password: form.password ?? "", by: user)
                    notice = "password_set"
                case "role":
                    guard let role = Role(rawValue: form.role ?? "") else { return Response(status: .badRequest) }
                    try await accounts.setRole(role, login: login, by: user)
                    notice = "role_changed"
                case "deactivate":
                    try await accounts.deactivate(login: login, by: user)
                    notice = "deactivated"
                case "reactivate":
                    try await accounts.reactivate(login: login, by: user)
                    notice = "reactivated"
                case "invite":
                    guard let role = Role(rawValue: form.role ?? "user") else { return Response(status: .badRequest) }
                    _ = try await accounts.invite(email: form.email ?? "", role: role, by: user)
                    notice = "invited"
                default:
                    return Response(status: .badRequest)
                }
                let search = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                return PageRenderer.redirect(to: "/admin/users?notice=\(notice)&q=\(search)")
            } catch let error as AccountError {
                var values = (try? await administrationValues(query: query, request: request, by: user)) ?? [:]
                values["email"] = form.email ?? ""
                return refusal(error, page: "admin-users", values, request: request, user: user)
            }
        }
    }

    /// The administrators' list: the users matching `query`, each with the actions on it.
    private func administrationValues(query: String, request: Request, by user: AuthenticatedUser) async throws
        -> [String: Any]
    {
        let language = renderer.language(of: request)
        var values = notice(request)
        values["q"] = query
        values["roles"] = Role.allCases.map {
            ["value": $0.rawValue, "name": renderer.text("role_\($0.rawValue)", language: language) ?? $0.rawValue]
        }
        values["users"] = try await accounts.users(containing: query, by: user).map { account -> [String: Any] in
            [
                "login": account.login, "email": account.email, "password": account.authentication == .password,
                "active": account.status == .active, "deactivated": account.status == .deactivated,
                "status": renderer.text("status_\(account.status.rawValue)", language: language)
                    ?? account.status.rawValue,
                "roles": Role.allCases.map { role -> [String: Any] in
                    [
                        "value": role.rawValue,
                        "name": renderer.text("role_\(role.rawValue)", language: language) ?? role.rawValue,
                        "selected": role == account.role,
                    ]
                },
            ]
        }
        return values
    }

    // MARK: Shared steps

    /// The user of the session cookie, or nil without a valid session (L4 ends idle ones).
    private func signedInUser(_ request: Request, _ context: BreachRequestContext) async throws -> AuthenticatedUser? {
        guard let token = request.cookies[cookies.session]?.value, !token.isEmpty else { return nil }
        do {
            return try await accounts.authenticate(sessionToken: token, from: request.origin(context))
        } catch AccountError.notSignedIn {
            return nil
        }
    }

    /// The posted form, once its anti-CSRF token is checked against this browser's
    /// cookie: without a valid one the request ends here with 403.
    private func verifiedForm(_ request: Request) async throws -> PageForm {
        let body = try await request.body.collect(upTo: Self.formLimit)
        let form = (try? URLEncodedFormDecoder().decode(PageForm.self, from: String(buffer: body))) ?? PageForm()
        guard
            csrf.isValid(
                form.csrf, for: request.cookies[cookies.csrf]?.value, session: request.cookies[cookies.session]?.value)
        else {
            throw PageRefusal(response: renderer.render("forbidden", request: request, status: .forbidden))
        }
        return form
    }

    /// A refused form shown again with the rule's message; a limit (429), a lock or a
    /// breached password at sign-in (B3) get a page of their own.
    private func refusal(
        _ error: AccountError, page: String, _ values: [String: Any] = [:], request: Request,
        user: AuthenticatedUser? = nil
    ) -> Response {
        let language = renderer.language(of: request)
        var values = values
        values["error"] = renderer.error(error, language: language)
        let template =
            switch error {
            case .tooManyRequests: "wait"
            case .passwordResetRequired: "reset-required"
            default: page
            }
        return renderer.render(template, values, request: request, status: error.status, user: user)
    }

    /// A confirmation named by `?notice=`, shown in `role="status"`; only catalogued names show.
    private func notice(_ request: Request) -> [String: Any] {
        guard let name = request.uri.queryParameters["notice"],
            let text = renderer.text("notice_\(name)", language: renderer.language(of: request))
        else { return [:] }
        return ["notice": text]
    }

    /// A link's token: base64url, as the service makes them.
    static func isTokenShaped(_ token: Substring) -> Bool {
        (1...128).contains(token.utf8.count)
            && token.utf8.allSatisfy {
                (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95
            }
    }

    /// `next` of the language switcher, kept on this site: a path, never `//host` or a URL.
    /// Browsers drop tabs and line breaks from a URL (`/<TAB>/host` is `//host`), so no
    /// control character, space or backslash may appear at all.
    static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"),
            next.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\\") })
        else { return "/" }
        return next
    }
}

/// Every field any page's form has; each route reads its own.
struct PageForm: Decodable {
    var csrf: String?
    var login: String?
    var password: String?
    var currentPassword: String?
    var confirmation: String?
    var code: String?
    var email: String?
    var action: String?
    var role: String?
    var q: String?

    enum CodingKeys: String, CodingKey {
        case csrf, login, password, confirmation, code, email, action, role, q
        case currentPassword = "current_password"
    }
}

/// A request refused with a page of its own (the forged POST's 403).
struct PageRefusal: HTTPResponseError {
    var response: Response
    var status: HTTPResponse.Status { response.status }
    func response(from request: Request, context: some RequestContext) throws -> Response { response }
}
