import Foundation
import Testing

@testable import AccountPages

@Suite("Pages: language, CSRF tokens, operators' resources")
struct AccountPagesTests {
    @Test("The language: the switcher's cookie, else Accept-Language by weight (nb-NO → nb, no → nb), else English")
    func chooseLanguage() {
        let available: Set = ["en", "nl", "nb"]
        #expect(LanguageChoice.choose(cookie: "nl", acceptLanguage: "nb", available: available) == "nl")
        #expect(
            LanguageChoice.choose(cookie: "xx", acceptLanguage: "de;q=0.9, nl-BE;q=0.8", available: available) == "nl")
        #expect(LanguageChoice.choose(cookie: nil, acceptLanguage: "en;q=0.1, nb-NO", available: available) == "nb")
        #expect(LanguageChoice.choose(cookie: nil, acceptLanguage: "no", available: available) == "nb")
        #expect(LanguageChoice.choose(cookie: nil, acceptLanguage: "nl;q=0, fr", available: available) == "en")
        #expect(LanguageChoice.choose(cookie: nil, acceptLanguage: nil, available: available) == "en")
    }

    @Test("A CSRF token is valid for its own browser secret under its own key only")
    func csrfTokens() {
        let tokens = CSRFTokens(key: Array(repeating: 1, count: 32))
        let secret = CSRFTokens.newSecret()
        let token = tokens.token(for: secret)
        #expect(tokens.isValid(token, for: secret))
        #expect(!tokens.isValid(token, for: CSRFTokens.newSecret()))
        #expect(!tokens.isValid(token, for: nil))
        #expect(!tokens.isValid(nil, for: secret))
        #expect(!tokens.isValid(secret, for: secret), "the secret itself is not a token")
        #expect(!CSRFTokens(key: Array(repeating: 2, count: 32)).isValid(token, for: secret))
    }

    @Test("A CSRF token made for one session is refused for another (a planted secret is no use)")
    func csrfTokensAreBoundToTheSession() {
        let tokens = CSRFTokens(key: Array(repeating: 1, count: 32))
        let secret = CSRFTokens.newSecret()
        let planters = tokens.token(for: secret, session: "attacker-session")
        #expect(tokens.isValid(planters, for: secret, session: "attacker-session"))
        #expect(!tokens.isValid(planters, for: secret, session: "victim-session"))
        #expect(!tokens.isValid(tokens.token(for: secret), for: secret, session: "victim-session"))
    }

    @Test("The switcher's next page stays on this site")
    func localPath() {
        #expect(AccountPageRoutes.localPath("/account") == "/account")
        #expect(AccountPageRoutes.localPath("//evil.example/") == "/")
        #expect(AccountPageRoutes.localPath("https://evil.example/") == "/")
        #expect(AccountPageRoutes.localPath("/\\evil.example") == "/")
        #expect(AccountPageRoutes.localPath(nil) == "/")
        // A browser drops tabs and line breaks from a URL: `/<TAB>/host` would be `//host`.
        #expect(AccountPageRoutes.localPath("/\t/evil.example") == "/")
        #expect(AccountPageRoutes.localPath("/\n/evil.example") == "/")
        #expect(AccountPageRoutes.localPath("/ /evil.example") == "/")
    }

    @Test("Only a base64url token from a link goes into the cookie")
    func tokenShape() {
        #expect(AccountPageRoutes.isTokenShaped("Ab9-_x"))
        #expect(!AccountPageRoutes.isTokenShaped("a;b"))
        #expect(!AccountPageRoutes.isTokenShaped("a b"))
        #expect(!AccountPageRoutes.isTokenShaped(""))
        #expect(!AccountPageRoutes.isTokenShaped(Substring(String(repeating: "a", count: 129))))
    }

    @Test("An operator's directory replaces a template, some messages and the stylesheet; the rest stays built-in")
    func operatorsResources() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for folder in ["templates", "messages", "static"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(folder)", withIntermediateDirectories: true)
        }
        try "<p>{{t.sign_in_title}} at Acme</p>".write(
            toFile: "\(directory)/templates/sign-in.mustache", atomically: true, encoding: .utf8)
        try #"{"sign_in_title": "Inloggen"}"#.write(
            toFile: "\(directory)/messages/nl.json", atomically: true, encoding: .utf8)
        try "body { color: red }".write(toFile: "\(directory)/static/pages.css", atomically: true, encoding: .utf8)
        let resources = try await PageResources(overridesFrom: directory)
        #expect(
            resources.templates.render(["t": ["sign_in_title": "Inloggen"]], withTemplate: "sign-in")
                == "<p>Inloggen at Acme</p>")
        #expect(resources.templates.getTemplate(named: "account") != nil)
        #expect(resources.catalogues["nl"]?.messages["sign_in_title"] == "Inloggen")
        #expect(resources.catalogues["nl"]?.messages["password"] == "Wachtwoord")
        #expect(resources.staticFiles["pages.css"]?.body == Data("body { color: red }".utf8))
        #expect(resources.staticFiles["pages.js"] != nil)
    }

    @Test("A template that does not parse is refused with its file's name")
    func brokenTemplate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/templates", withIntermediateDirectories: true)
        try "{{#open}} never closed".write(
            toFile: "\(directory)/templates/sign-in.mustache", atomically: true, encoding: .utf8)
        let error = await #expect(throws: PageResourceError.self) { try await PageResources(overridesFrom: directory) }
        #expect(error?.file == "\(directory)/templates/sign-in.mustache")
    }

    @Test("Every catalogue has every message the English one has")
    func cataloguesComplete() async throws {
        let resources = try await PageResources()
        let english = Set(resources.catalogues["en"]!.messages.keys)
        for language in ["nl", "nb"] {
            #expect(english.subtracting(resources.catalogues[language]!.messages.keys) == [], "\(language)")
        }
    }
}
