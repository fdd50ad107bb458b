import Foundation

/// A URL as it may appear in an error or a log line. Its secrets are `***`: the password,
/// a user name given without one (some gateways take a token there), every query value
/// (`?token=`, libpq's `?password=`), a query name without a value, and the fragment.
/// What Foundation cannot parse is cut to its scheme: the secret may be anywhere in it.
/// A secret in the path cannot be told from a path; options such as
/// `--sms-webhook-token-file` keep it out of the URL.
public func redactedURL(_ url: String) -> String {
    guard var components = URLComponents(string: url) else {
        return (url.range(of: "://").map { String(url[..<$0.upperBound]) } ?? "") + "… (unparsable URL not shown)"
    }
    if components.password != nil {
        components.password = "***"
    } else if components.user != nil {
        components.user = "***"
    }
    // A name without a value (`?SECRETKEY`) may itself be the secret, as may a fragment.
    components.queryItems = components.queryItems?.map {
        URLQueryItem(name: $0.value == nil ? "***" : $0.name, value: $0.value.map { _ in "***" })
    }
    if components.fragment != nil { components.fragment = "***" }
    return components.string ?? "(URL not shown)"
}
