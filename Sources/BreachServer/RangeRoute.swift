import BreachHash
import BreachIndex
import Foundation
import HTTPTypes
import NIOCore

/// `GET /range/{prefix}`: the Pwned Passwords range API, byte for byte.
struct RangeRoute {
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
        guard index.answersRanges else {
            return plainText(.notImplemented, "This server's \(index.kind.rawValue) index is compact (the first 64 bits of each hash): it answers checks, not range queries, which need a full index")
        }
        let coding = ContentCoding.preferred(by: query.acceptEncoding)
        let addPadding = query.addPadding?.lowercased() == "true"
        let realCount = index.entryCount(inRange: prefix)
        // An empty body breaks common clients (pwnedpasswords), so an empty range is padded
        // even unasked (the public API has no empty range). Asked for, padding is fresh for
        // every request, unless the range has 1,000 rows or more, which padding leaves as
        // they are: such answers are cached, as are the unasked ones (an empty range's
        // padding is then made once per generation).
        let padded = addPadding || realCount == 0
        let answer: Answer
        if addPadding, realCount < RangePadding.lines.upperBound {
            answer = Self.answer(prefix: prefix, realCount: realCount, padded: true, of: index, coding: coding)
        } else {
            // The whole answer, header fields and all, is cached: a prefix asked for again
            // costs a lookup, as a static file would.
            let key = RangeCache.Key(generation: index.metadata.generation, kind: index.kind, prefix: prefix, coding: coding, addPadding: addPadding)
            answer = cache.answer(for: key) { Self.answer(prefix: prefix, realCount: realCount, padded: padded, of: index, coding: coding) }
        }
        if let match = query.ifNoneMatch, let etag = answer.headers[.eTag],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            var headers = answer.headers
            headers[.contentLength] = nil
            return Answer(status: .notModified, headers: headers, body: ByteBuffer())
        }
        return answer
    }

    private static func answer(prefix: Int, realCount: Int, padded: Bool, of index: BreachIndex, coding: ContentCoding) -> Answer {
        let padding = padded ? RangePadding.suffixes(padding: realCount, kind: index.kind) : []
        let capacity = index.rangeBodyCapacity(prefix: prefix, paddingCount: padding.count)
        var plain = ByteBufferAllocator().buffer(capacity: capacity)
        padding.withUnsafeBufferPointer { padding in
            _ = plain.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { index.writeRangeBody(prefix: prefix, padding: padding, to: $0) }
        }
        let encoded = coding.encode(plain)
        let body = encoded ?? plain
        var headers: HTTPFields = [
            .contentType: "text/plain",
            .cacheControl: "public, max-age=2678400",
            .lastModified: HTTPDate.format(index.metadata.builtAt),
            .eTag: entityTag(prefix: prefix, of: index, padded: padded, coding: encoded == nil ? .identity : coding),
            .accessControlAllowOrigin: "*",
            .vary: "Accept-Encoding, Add-Padding",
            .contentLength: String(body.readableBytes),
            // RFC 9530: a digest of the uncompressed body, so that a downloader can tell a body
            // changed on the way (brotli and plain HTTP carry no checksum); made once per cached answer.
            .reprDigest: plain.withUnsafeReadableBytes { RepresentationDigest.field(of: $0) },
        ]
        if encoded != nil { headers[.contentEncoding] = coding.rawValue }
        return Answer(status: .ok, headers: headers, body: body)
    }

    /// The range's ETag, derived from its content (not from the build), so that a range
    /// that did not change keeps its tag when the index is rebuilt or downloaded again:
    /// replicas and caches revalidate it with a 304. Weak when padded: the same rows,
    /// padded differently, are the same answer. Each coding is its own representation,
    /// so it has its own tag.
    static func entityTag(prefix: Int, of index: BreachIndex, padded: Bool, coding: ContentCoding) -> String {
        let tag = String(index.contentTag(ofRange: prefix), radix: 16)
        return "\(padded ? "W/" : "")\"\(BreachIndex.rangePrefixText(prefix))-\(index.kind.rawValue)-\(tag)\(coding.entityTagSuffix)\""
    }

    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Answer {
        Answer(status: status, headers: [.contentType: "text/plain", .accessControlAllowOrigin: "*",
                                         .contentLength: String(text.utf8.count)],
               body: ByteBuffer(string: text))
    }
}

extension HTTPField.Name {
    static let addPadding = HTTPField.Name("Add-Padding")!
    static let reprDigest = HTTPField.Name("Repr-Digest")!
}
