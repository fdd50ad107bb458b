import Accounts
import AccountsHTTP
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Turns a template and its values into a page: the language chosen, the layout's
/// values (product name, switcher, CSRF token) added, and the headers every page carries.
struct PageRenderer: Sendable {
    let resources: PageResources
    let productName: String
    let cookies: PageCookies
    let csrf: CSRFTokens
    /// Each language's messages with English under them, so a missing message shows in English.
    private let messages: [String: [String: String]]

    init(resources: PageResources, productName: String, cookies: PageCookies, csrf: CSRFTokens) {
        self.resources = resources
        self.productName = productName
        self.cookies = cookies
        self.csrf = csrf
        let english = resources.catalogues["en"]?.messages ?? [:]
        messages = resources.catalogues.mapValues { english.merging($0.messages) { $1 } }
    }

    var languages: Set<String> { Set(messages.keys) }

    /// Content-Security-Policy of every page: scripts and styles from this origin only
    /// (no inline script), `fetch` only to this origin (the breach warning's `/range`),
    /// forms only to this origin, and no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func language(of request: Request) -> String {
        LanguageChoice.choose(
            cookie: request.cookies[cookies.language]?.value, acceptLanguage: request.headers[.acceptLanguage],
            available: languages)
    }

    func text(_ name: String, language: String, _ values: [String: String] = [:]) -> String? {
        guard var text = messages[language]?[name] ?? messages["en"]?[name] else { return nil }
        for (key, value) in values { text = text.replacingOccurrences(of: "{\(key)}", with: value) }
        return text.replacingOccurrences(of: "{product}", with: productName)
    }

    /// A refusal in the page's language: the rule's own message (catalogued under its
    /// code), its explanation where it has one, and the service's English words as the
    /// last resort.
    func error(_ error: AccountError, language: String) -> [String: Any] {
        var values: [String: String] = [:]
        if case .passwordTooShort(let minimum) = error { values["minimum"] = "\(minimum)" }
        if case .passwordTooLong(let maximum) = error { values["maximum"] = "\(maximum)" }
        var result: [String: Any] = [
            "message": text("error_\(error.code)", language: language, values) ?? error.message
        ]
        if let explanation = text("explanation_\(error.code)", language: language) ?? error.explanation {
            result["explanation"] = explanation
        }
        return result
    }

    /// The page `template` with `values`, its status and headers. A new CSRF secret is set
    /// when the browser has none.
    func render(
        _ template: String, _ values: [String: Any] = [:], request: Request, status: HTTPResponse.Status = .ok,
        user: AuthenticatedUser? = nil
    ) -> Response {
        let language = language(of: request)
        let existing = request.cookies[cookies.csrf]?.value
        let secret = existing.flatMap { $0.isEmpty ? nil : $0 } ?? CSRFTokens.newSecret()
        var context = values
        context["t"] = messages[language] ?? messages["en"] ?? [:]
        context["lang"] = language
        context["product"] = productName
        context["csrf"] = csrf.token(for: secret, session: request.cookies[cookies.session]?.value)
        let here = request.uri.path
        context["languages"] = languages.sorted().map { code in
            [
                "code": code, "name": text("language_name", language: code) ?? code, "current": code == language,
                "href":
                    "/language/\(code)?next=\(here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")",
            ] as [String: Any]
        }
        if let user {
            context["user"] =
                [
                    "login": user.login, "email": user.email, "role": user.role.rawValue,
                    "administrator": user.role.administersUsers && !user.mustChangePassword,
                ] as [String: Any]
        }
        let html = resources.templates.render(context, withTemplate: template) ?? ""
        var response = Response(
            status: status, headers: Self.headers(contentType: "text/html; charset=utf-8"),
            body: .init(byteBuffer: ByteBuffer(string: html)))
        if existing != secret { response.setCookie(cookies.make(cookies.csrf, secret)) }
        return response
    }

    /// The headers of every answer of the pages: no framing, no sniffing, no referrer
    /// (a URL may hold a token), and nothing stored by a cache (pages show or take secrets).
    static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType, .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            .xFrameOptions: "DENY", .referrerPolicy: "no-referrer", .cacheControl: "no-store",
        ]
    }

    /// 303 See Other to `location` (POST → redirect → GET), with the pages' headers.
    static func redirect(to location: String) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
