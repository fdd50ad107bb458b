import BreachHash
import BreachIndex
import BreachSupport
import Foundation

/// The URL of each range, from `--from`: its path gets `/range/PREFIX`, its query
/// (a gateway's `?token=…`) is kept with `mode=ntlm` added, and a user name and password
/// in it become a Basic `Authorization` field (sent with every request, never shown).
struct RangeEndpoint: Sendable {
    private let components: URLComponents
    private let kind: HashKind
    /// `Basic …` from the URL's user name and password, if it has them.
    let authorization: String?
    let isEncrypted: Bool

    init(source: String, kind: HashKind) throws {
        guard var components = URLComponents(string: source), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false
        else {
            throw DownloadError.invalidArguments(
                "--from \(redactedURL(source)): not an http:// or https:// URL with a host")
        }
        if let user = components.user {
            authorization = "Basic " + Data("\(user):\(components.password ?? "")".utf8).base64EncodedString()
            components.user = nil
            components.password = nil
        } else {
            authorization = nil
        }
        while components.path.hasSuffix("/") { components.path.removeLast() }
        components.fragment = nil
        self.components = components
        self.kind = kind
        isEncrypted = scheme == "https"
    }

    func url(forPrefix prefix: Int) -> String {
        var url = components
        url.path += "/range/" + BreachIndex.rangePrefixText(prefix)
        if kind == .ntlm {
            url.percentEncodedQuery = [components.percentEncodedQuery, "mode=ntlm"].compactMap { $0 }.joined(
                separator: "&")
        }
        return url.string!
    }

    /// The URL's port, or its scheme's default: redirects are followed to the same origin only.
    static func port(of url: URL) -> Int? {
        url.port ?? ["http": 80, "https": 443][url.scheme?.lowercased() ?? ""]
    }
}
