import BreachHash
import BreachIndex
import Foundation
import HTTPTypes
import NIOCore

/// `GET /range/{prefix}`: the Pwned Passwords range API, byte for byte.
struct RangeRoute {
    /// Padded answers have between these many lines, as the public API's do.
    static let paddedLines = 800...1000

    /// What a range request asks for, from its path, query and header fields.
    struct Query {
        var prefix: Substring
        var mode: String?
        var addPadding: String?
        var acceptEncoding: String?
        var ifNoneMatch: String?
    }

    static func answer(_ query: Query, indexes: ServedIndexes, cache: RangeCache) -> Answer {
        guard let prefix = BreachIndex.rangePrefix(query.prefix) else {
            return plainText(.badRequest, "The hash prefix was not in a valid format")
        }
        let snapshot = indexes.snapshot
        let index: BreachIndex
        switch query.mode?.lowercased() ?? "sha1" {
        case "sha1": index = snapshot.sha1
        case "ntlm":
            guard let ntlm = snapshot.ntlm else { return plainText(.badRequest, "This server has no NTLM index") }
            index = ntlm
        default: return plainText(.badRequest, "The mode must be sha1 or ntlm")
        }
        let coding = ContentCoding.preferred(by: query.acceptEncoding)
        let answer: Answer
        // An empty body breaks common clients, so an empty range is always padded.
        if query.addPadding?.lowercased() == "true" || !index.hasEntries(inRange: prefix) {
            // Fresh padding for every request: never cached.
            var padding = index.range(prefix: prefix)
            pad(&padding, prefix: prefix, kind: index.kind)
            answer = Self.answer(padding, prefix: prefix, padded: true, of: index, coding: coding)
        } else {
            // The whole answer, header fields and all, is cached: a prefix asked for again
            // costs a lookup, as a static file would.
            let key = RangeCache.Key(generation: index.metadata.generation, kind: index.kind, prefix: prefix, coding: coding)
            answer = cache.answer(for: key) { Self.answer(index.range(prefix: prefix), prefix: prefix, padded: false, of: index, coding: coding) }
        }
        if let match = query.ifNoneMatch, let etag = answer.headers[.eTag],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            var headers = answer.headers
            headers[.contentLength] = nil
            return Answer(status: .notModified, headers: headers, body: ByteBuffer())
        }
        return answer
    }

    private static func answer(_ entries: [HashCount], prefix: Int, padded: Bool, of index: BreachIndex, coding: ContentCoding) -> Answer {
        let plain = BreachIndex.rangeBody(entries, kind: index.kind)
        let encoded = coding.encode(plain)
        let body = ByteBuffer(bytes: encoded ?? plain)
        let coded = encoded != nil && coding != .identity
        var headers: HTTPFields = [
            .contentType: "text/plain",
            .cacheControl: "public, max-age=2678400",
            .lastModified: HTTPDate.format(index.metadata.builtAt),
            .eTag: entityTag(prefix: prefix, of: index, padded: padded, coding: coded ? coding : .identity),
            .accessControlAllowOrigin: "*",
            .vary: "Accept-Encoding, Add-Padding",
            .contentLength: String(body.readableBytes),
        ]
        if coded { headers[.contentEncoding] = coding.rawValue }
        return Answer(status: .ok, headers: headers, body: body)
    }

    /// The range's ETag, derived from its content (not from the build), so that a range
    /// that did not change keeps its tag when the index is rebuilt or downloaded again:
    /// replicas and caches revalidate it with a 304. Weak when padded: the same rows,
    /// padded differently, are the same answer. Each coding is its own representation,
    /// so it has its own tag.
    static func entityTag(prefix: Int, of index: BreachIndex, padded: Bool, coding: ContentCoding) -> String {
        let tag = String(index.contentTag(ofRange: prefix), radix: 16)
        return "\(padded ? "W/" : "")\"\(prefixText(prefix))-\(index.kind.rawValue)-\(tag)\(coding == .identity ? "" : "-" + coding.rawValue)\""
    }

    /// The 5 uppercase hex digits of a range prefix.
    static func prefixText(_ prefix: Int) -> String {
        let digits = String(prefix, radix: 16, uppercase: true)
        return String(repeating: "0", count: 5 - digits.count) + digits
    }

    /// Adds random suffixes with count 0 until there are 800 to 1,000 lines, kept in
    /// hash order so padding rows cannot be told from real ones by position.
    static func pad(_ entries: inout [HashCount], prefix: Int, kind: HashKind) {
        var random = SystemRandomNumberGenerator()
        let target = Int.random(in: paddedLines, using: &random)
        guard entries.count < target else { return }
        var taken = Set(entries.map(\.digest))
        while entries.count < target {
            let digest = HashDigest(high: UInt64(prefix) << 44 | random.next() >> 20, middle: random.next(),
                                    low: kind == .sha1 ? UInt32(truncatingIfNeeded: random.next()) : 0)
            if taken.insert(digest).inserted { entries.append(HashCount(digest: digest, count: 0)) }
        }
        entries.sort { $0.digest < $1.digest }
    }

    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Answer {
        Answer(status: status, headers: [.contentType: "text/plain", .accessControlAllowOrigin: "*",
                                         .contentLength: String(text.utf8.count)],
               body: ByteBuffer(string: text))
    }
}

extension HTTPField.Name {
    static let addPadding = HTTPField.Name("Add-Padding")!
}
