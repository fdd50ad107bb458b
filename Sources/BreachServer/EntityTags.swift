/// `If-None-Match` (RFC 9110 §13.1.2): a list of entity tags, or `*`, compared with the weak
/// comparison (§8.8.3.2), under which `W/"x"` and `"x"` match.
enum EntityTags {
    /// Whether `condition` (the field's value, repeated lines joined with commas) names
    /// `entityTag` or is `*`.
    static func anyMatches(_ condition: String, _ entityTag: String) -> Bool {
        let wanted = opaque(entityTag[...])
        var rest = condition.utf8[...]
        while true {
            while let first = rest.first,
                first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") || first == UInt8(ascii: ",")
            {
                rest = rest.dropFirst()
            }
            guard let first = rest.first else { return false }
            if first == UInt8(ascii: "*") { return true }
            if rest.starts(with: "W/".utf8) { rest = rest.dropFirst(2) }
            // An opaque tag is quoted and holds no quote; anything else is malformed and ends the list.
            guard rest.first == UInt8(ascii: "\""), let close = rest.dropFirst().firstIndex(of: UInt8(ascii: "\""))
            else { return false }
            if rest[rest.startIndex...close].elementsEqual(wanted) { return true }
            rest = rest[rest.index(after: close)...]
        }
    }

    /// The quoted part of a tag, without the weakness mark.
    private static func opaque(_ tag: Substring) -> Substring.UTF8View {
        (tag.hasPrefix("W/") ? tag.dropFirst(2) : tag).utf8
    }
}
