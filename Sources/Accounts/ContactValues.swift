import Foundation

/// A login identifier (A1) as stored and compared: trimmed, lowercased, at most 254
/// characters, no spaces or control characters (a header injection in an e-mail).
struct Login: Hashable, Sendable {
    let value: String

    init(_ text: String) throws {
        let login = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !login.isEmpty, login.count <= 254,
            login.unicodeScalars.allSatisfy({
                !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0)
            })
        else { throw AccountError.invalidLogin }
        value = login
    }
}

/// An e-mail address: a ``Login`` of the form local@domain.tld.
struct EmailAddress: Hashable, Sendable {
    let value: String

    init(_ text: String) throws {
        let address = try Login(text).value
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { throw AccountError.invalidLogin }
        value = address
    }
}

/// A phone number for SMS (R7), E.164-style: an optional +, then 6 to 15 digits
/// (spaces, dashes, dots and parentheses dropped).
struct PhoneNumber: Hashable, Sendable {
    let value: String

    init(_ text: String) throws {
        let compact = text.filter { !" -().".contains($0) }
        let digits = compact.hasPrefix("+") ? compact.dropFirst() : Substring(compact)
        guard (6...15).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
            throw AccountError.invalidPhone
        }
        value = compact
    }
}
