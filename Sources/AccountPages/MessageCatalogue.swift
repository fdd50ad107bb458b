import Foundation

/// The words of the pages in one language: `messages/LANGUAGE.json`, an object of
/// message names to text. `{name}` in a text is filled in when it is used.
struct MessageCatalogue: Sendable {
    var messages: [String: String]

    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PageResourceError(file: path, problem: "cannot be read")
        }
        do {
            messages = try JSONDecoder().decode([String: String].self, from: data)
        } catch {
            throw PageResourceError(file: path, problem: "not a JSON object of strings: \(error)")
        }
    }

    init(messages: [String: String]) {
        self.messages = messages
    }

    func overridden(by other: MessageCatalogue) -> MessageCatalogue {
        MessageCatalogue(messages: messages.merging(other.messages) { $1 })
    }
}

/// The language of a request: the `lang` cookie the switcher set, else the best of
/// `Accept-Language` that has a catalogue, else English.
enum LanguageChoice {
    static func choose(cookie: String?, acceptLanguage: String?, available: Set<String>) -> String {
        if let cookie, available.contains(cookie) { return cookie }
        for tag in preferred(acceptLanguage ?? "") {
            if available.contains(tag) { return tag }
            // "nb-NO" → "nb"; Norwegian without a written standard ("no") reads Bokmål.
            let primary = String(tag.prefix { $0 != "-" })
            if available.contains(primary) { return primary }
            if primary == "no", available.contains("nb") { return "nb" }
        }
        return "en"
    }

    /// The tags of an Accept-Language header, most wanted first (RFC 9110 §12.5.4).
    static func preferred(_ header: String) -> [String] {
        let weighted = header.split(separator: ",").enumerated().compactMap {
            index, item -> (tag: String, q: Double, index: Int)? in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), !tag.isEmpty, tag != "*" else { return nil }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0 ? (tag, q, index) : nil
        }
        return weighted.sorted { ($0.q, -$0.index) > ($1.q, -$1.index) }.map(\.tag)
    }
}
