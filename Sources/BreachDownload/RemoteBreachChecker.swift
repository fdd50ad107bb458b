import AsyncHTTPClient
import BreachCheck
import BreachHash
import BreachSupport
import Foundation
import NIOCore

/// Checks over the k-anonymity range API: only the first five hex digits of the
/// password's SHA-1 leave the process. Works against `breachdb serve` and the public
/// Pwned Passwords API (`https://api.pwnedpasswords.com`) alike.
public struct RemoteBreachChecker: BreachChecker {
    public let baseURL: String
    public let timeout: Duration
    private let client: HTTPClient

    /// - Parameters:
    ///   - baseURL: the server's root, without `/range` (for example `http://127.0.0.1:8080`).
    ///   - timeout: for the whole request; a slower answer throws ``RemoteBreachCheckError``.
    public init(baseURL: String, timeout: Duration = .seconds(2), client: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.client = client
    }

    public func breachCount(ofPassword password: String) async throws -> UInt64 {
        let hex = Hex.string(PasswordHasher.hash(password, kind: .sha1), kind: .sha1)
        let prefix = hex.prefix(5), suffix = hex.dropFirst(5)
        var request = HTTPClientRequest(url: "\(baseURL)/range/\(prefix)")
        // Padding hides the answer's size from anyone watching the wire; the public API
        // asks for a User-Agent.
        request.headers.add(name: "Add-Padding", value: "true")
        request.headers.add(name: "User-Agent", value: "breachdb-accounts")
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout))
            body = try await response.body.collect(upTo: 4 << 20)
        } catch {
            throw RemoteBreachCheckError(url: request.url, reason: "\(error)")
        }
        guard response.status == .ok else {
            throw RemoteBreachCheckError(url: request.url, reason: "HTTP \(response.status.code)")
        }
        return try Self.count(ofSuffix: suffix, in: String(buffer: body), url: request.url)
    }

    /// Finds `SUFFIX:COUNT` in a range answer (case-insensitive suffix, CRLF or LF).
    static func count(ofSuffix suffix: Substring, in body: String, url: String) throws -> UInt64 {
        for line in body.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].caseInsensitiveCompare(suffix) == .orderedSame else { continue }
            guard let count = UInt64(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) else {
                throw RemoteBreachCheckError(url: url, reason: "unreadable count in the matching line")
            }
            return count
        }
        return 0
    }
}

/// A range request that failed; names the URL (the configured one, secrets hidden, with
/// the 5-hex prefix: never the password's hash).
public struct RemoteBreachCheckError: Error, CustomStringConvertible {
    public let url: String
    public let reason: String
    public var description: String { "breach check at \(redactedURL(url)) failed: \(reason)" }
}
