import Foundation
import Hummingbird

/// The credential of `Authorization: Bearer CREDENTIAL` (the scheme is case-insensitive,
/// RFC 9110), or `nil` when the field is missing or names another scheme.
public func bearerCredential(_ authorization: String?) -> String? {
    guard let authorization, authorization.prefix(7).lowercased() == "bearer " else { return nil }
    return authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
}

/// The tokens a route accepts in `Authorization: Bearer TOKEN`.
public struct BearerTokens: Sendable {
    let tokens: [[UInt8]]

    public init(_ tokens: [String]) { self.tokens = tokens.map { Array($0.utf8) } }

    /// Whether a request's `Authorization` header carries one of the tokens.
    func authorize(_ authorization: String?) -> Bool {
        guard let credential = bearerCredential(authorization) else { return false }
        return Self.matches(Array(credential.utf8), any: tokens)
    }

    /// The 401 to answer a request whose `Authorization` carries none of the tokens, if any.
    func rejection(_ authorization: String?) -> APIError? {
        authorize(authorization) ? nil : Self.rejected
    }

    /// The 401 of a request without a valid token.
    static let rejected = {
        var error = APIError(
            status: .unauthorized, code: "unauthorized", message: "send Authorization: Bearer with a valid token")
        error.headers = [.wwwAuthenticate: "Bearer"]
        return error
    }()

    /// Compares in time independent of where a candidate differs, so response times
    /// leak nothing about a token.
    static func matches(_ presented: [UInt8], any tokens: [[UInt8]]) -> Bool {
        var found = false
        for token in tokens {
            var difference = UInt8(truncatingIfNeeded: token.count ^ presented.count)
            for i in 0..<token.count { difference |= token[i] ^ (i < presented.count ? presented[i] : 0) }
            found = found || difference == 0
        }
        return found
    }
}

/// Requires `Authorization: Bearer TOKEN` with one of the configured tokens.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: BearerTokens

    public init(tokens: BearerTokens) { self.tokens = tokens }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if let unauthorized = tokens.rejection(request.headers[.authorization]) { throw unauthorized }
        return try await next(request, context)
    }
}

/// A token file that cannot be used; names the file, never a token.
public struct TokenFileError: Error, CustomStringConvertible {
    public let description: String
}

/// Tokens from a file: one per line, blank lines and `#` comments ignored.
public func readTokens(from path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw TokenFileError(description: "\(path): cannot read the token file")
    }
    let tokens = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    guard !tokens.isEmpty else { throw TokenFileError(description: "\(path): holds no token (one per line)") }
    return tokens
}
