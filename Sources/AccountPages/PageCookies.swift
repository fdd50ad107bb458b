import Accounts
import BreachSupport
import CLibCrypto
import Foundation
import Hummingbird

/// The cookies of the pages. All are HttpOnly and SameSite=Lax; over TLS they are
/// `Secure` and named `__Host-…` (so no other host or path can set them).
struct PageCookies: Sendable {
    /// Over TLS: `Secure` and the `__Host-` prefix.
    var secure: Bool

    /// The service's session token (the same session the JSON API gives as a bearer token).
    var session: String { name("session") }
    /// The anti-CSRF secret of this browser: forms carry a keyed hash of it.
    var csrf: String { name("csrf") }
    /// L3: the remembered-device token, so a known browser signs in without a code.
    var device: String { name("device") }
    /// L3: the pending device challenge between the sign-in and the code page: its
    /// handle, whose secret binds the code to this browser (HttpOnly, so no script reads it).
    var challenge: String { name("challenge") }
    /// The token of an activation or reset link, moved out of the address bar.
    var link: String { name("link") }
    /// The switcher's language.
    var language: String { name("lang") }

    private func name(_ base: String) -> String { secure ? "__Host-breachdb_\(base)" : "breachdb_\(base)" }

    func make(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    func expired(_ name: String) -> Cookie {
        Cookie(
            name: name, value: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", secure: secure,
            httpOnly: true, sameSite: .lax)
    }
}

/// Anti-CSRF tokens, the signed double-submit pattern (OWASP CSRF Prevention Cheat
/// Sheet): a random secret in an HttpOnly cookie, and in every form its HMAC-SHA256
/// under a key that only the server has, bound to the browser's session cookie. A page
/// from another site can neither read the cookies nor compute the HMAC; a secret it
/// plants (from a sibling host, without `__Host-`) comes with a token for the planter's
/// session, which is refused for the victim's.
struct CSRFTokens: Sendable {
    private let key: [UInt8]

    init(key: [UInt8]) {
        self.key = key
    }

    /// A new browser secret for the cookie.
    static func newSecret() -> String {
        base64URL(SystemRandomSource().bytes(count: 32))
    }

    /// The token a form carries for the browser whose cookies hold `secret` and `session`
    /// (none before sign-in).
    func token(for secret: String, session: String? = nil) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // Neither value holds a NUL (base64url), so the pair reads back one way only.
        let message = Array(secret.utf8) + [0] + Array((session ?? "").utf8)
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &digest, &length)
        return base64URL(Array(digest.prefix(Int(length))))
    }

    /// Whether `token` belongs to `secret`, compared in constant time.
    func isValid(_ token: String?, for secret: String?, session: String? = nil) -> Bool {
        guard let token, let secret, !secret.isEmpty else { return false }
        let expected = Array(self.token(for: secret, session: session).utf8), given = Array(token.utf8)
        return expected.count == given.count && CRYPTO_memcmp(expected, given, expected.count) == 0
    }
}
