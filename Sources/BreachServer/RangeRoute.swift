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
        /// RFC 9530's `Want-Repr-Digest`.
        var wantReprDigest: String?
    }

    /// What a range answer's bytes are made from, but for fresh padding rows: known from the
    /// request and the index alone, so the answer's validator is known before its body is made.
    struct Representation {
        let index: BreachIndex
        let prefix: Int
        let coding: ContentCoding
        /// Whether the request asked for padding.
        let addPadding: Bool

        // An empty body breaks common clients (pwnedpasswords), so an empty range is padded
        // even unasked (the public API has no empty range). Padding asked for leaves a range
        // of 1,000 rows or more as it is: the same bytes as unpadded, with the same strong tag.
        // (A cache hit asks only the lookup table whether the range is empty: the bucket's
        // header, a random read into the map, is read for padding alone.)
        var isPadded: Bool { !index.hasEntries(withPrefix: prefix) || addsFreshPadding }
        /// Whether the answer gets padding of its own, made for this request.
        var addsFreshPadding: Bool { addPadding && realCount < RangePadding.lines.upperBound }
        /// The range's rows in the index.
        var realCount: Int { index.entryCount(withPrefix: prefix) }

        /// The range's ETag, derived from its content (not from the build), so that a range
        /// that did not change keeps its tag when the index is rebuilt or downloaded again:
        /// replicas and caches revalidate it with a 304. Weak when padded: the same rows,
        /// padded differently, are the same answer. Each coding is its own representation,
        /// so it has its own tag.
        var entityTag: String {
            let tag = String(index.contentTag(forPrefix: prefix), radix: 16)
            return
                "\(isPadded ? "W/" : "")\"\(BreachIndex.rangePrefixText(prefix))-\(index.kind.rawValue)-\(tag)\(coding.entityTagSuffix)\""
        }
    }

    /// The answer to `query`. A revalidation that matches is answered from the validator
    /// alone, without making (or caching) the body: a 304 costs the range's content tag,
    /// computed once per index and prefix.
    static func answer(_ query: Query, indexes: ServedIndexes, cache: RangeCache) -> Answer {
        let representation: Representation
        switch resolve(query, indexes: indexes) {
        case .success(let resolved): representation = resolved
        case .failure(let error): return error.answer
        }
        // The tag is made only where it is used: a cached answer carries its own.
        if let condition = query.ifNoneMatch, case let entityTag = representation.entityTag,
            EntityTags.anyMatches(condition, entityTag)
        {
            var headers = fields(of: representation, entityTag: entityTag)
            if representation.coding != .identity { headers[.contentEncoding] = representation.coding.rawValue }
            return Answer(status: .notModified, headers: headers, body: ByteBuffer())
        }
        let digesting = RepresentationDigest.isWanted(byField: query.wantReprDigest) ? withDigest : nil
        // Asked for, padding is fresh for every request, unless the range has 1,000 rows or
        // more, which padding leaves as they are: such answers are cached, as are the unasked
        // ones (an empty range's padding is then made once per generation).
        if representation.addsFreshPadding {
            let made = answer(representation)
            return digesting?(made) ?? made
        }
        // The whole answer, header fields and all, is cached (and its digested form when
        // asked for): a prefix asked for again costs a lookup, as a static file would.
        let index = representation.index
        let key = RangeCache.Key(
            generation: index.metadata.generation, kind: index.kind, prefix: representation.prefix,
            coding: representation.coding)
        return cache.answer(for: key, digesting: digesting) { answer(representation) }
    }

    /// Why a range request cannot be answered with rows.
    struct RefusedQuery: Error {
        let answer: Answer
        init(_ text: String, status: HTTPResponse.Status = .badRequest) { answer = RangeRoute.plainText(status, text) }
    }

    /// The representation `query` asks for, or the 400 that says why there is none.
    static func resolve(_ query: Query, indexes: ServedIndexes) -> Result<Representation, RefusedQuery> {
        guard let prefix = BreachIndex.rangePrefix(query.prefix) else {
            return .failure(RefusedQuery("The hash prefix was not in a valid format"))
        }
        let snapshot = indexes.snapshot
        let index: BreachIndex
        switch query.mode?.lowercased() ?? "sha1" {
        case "sha1": index = snapshot.sha1
        case "ntlm":
            guard let ntlm = snapshot.ntlm else { return .failure(RefusedQuery("This server has no NTLM index")) }
            index = ntlm
        default: return .failure(RefusedQuery("The mode must be sha1 or ntlm"))
        }
        guard index.answersRanges else {
            return .failure(
                RefusedQuery(
                    "This server's \(index.kind.rawValue) index is compact (the first 64 bits of each hash): it answers checks, not range queries, which need a full index",
                    status: .notImplemented))
        }
        return .success(
            Representation(
                index: index, prefix: prefix, coding: ContentCoding.preferred(by: query.acceptEncoding),
                addPadding: query.addPadding?.lowercased() == "true"))
    }

    static func answer(_ representation: Representation) -> Answer {
        let (index, prefix) = (representation.index, representation.prefix)
        let padding =
            representation.isPadded ? RangePadding.suffixes(padding: representation.realCount, kind: index.kind) : []
        let capacity = index.rangeBodyCapacity(prefix: prefix, paddingCount: padding.count)
        if let encoded = compressed(representation, padding: padding, capacity: capacity) {
            var headers = fields(of: representation, entityTag: representation.entityTag)
            headers[.contentEncoding] = representation.coding.rawValue
            headers[.contentLength] = String(encoded.readableBytes)
            return Answer(status: .ok, headers: headers, body: encoded)
        }
        // Identity, asked for or not: brotli's rows made more text than one stream holds.
        let identity = Representation(
            index: index, prefix: prefix, coding: .identity, addPadding: representation.addPadding)
        var plain = ByteBufferAllocator().buffer(capacity: capacity)
        padding.withUnsafeBufferPointer { padding in
            _ = plain.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) {
                index.writeRangeBody(prefix: prefix, padding: padding, to: $0)
            }
        }
        var headers = fields(of: identity, entityTag: identity.entityTag)
        headers[.contentLength] = String(plain.readableBytes)
        return Answer(status: .ok, headers: headers, body: plain)
    }

    /// The body in the representation's coding, coded straight from the range's rows
    /// (`RangeDeflate`, `RangeBrotli`), with no text to read back; `nil` for identity, or
    /// past what one brotli stream holds. `capacity` bounds the text's length.
    private static func compressed(_ representation: Representation, padding: [RangeSuffix], capacity: Int)
        -> ByteBuffer?
    {
        let (index, prefix) = (representation.index, representation.prefix)
        let digits = index.kind.suffixHexDigitCount
        let (bound, write): (Int, (UnsafeMutableRawBufferPointer, RangeRowChunks) -> Int?)
        switch representation.coding {
        case .identity: return nil
        case .gzip:
            bound = RangeDeflate.maximumGzipSize(of: capacity)
            // The unpadded text's CRC-32 is the same in every answer of the prefix: kept once
            // made, later answers code the rows without formatting them. No padding rows, not
            // `!isPadded`: padding asked for adds none to a range of 800–999 rows whose drawn
            // length it already has, and then the text is the unpadded one.
            let unpadded = padding.isEmpty
            let knownCRC32 = unpadded ? index.rangeTextCRC32(prefix: prefix) : nil
            write = {
                let (byteCount, crc) = RangeDeflate.gzip(
                    suffixDigits: digits, knownCRC32: knownCRC32, into: $0, rows: $1)
                if unpadded, knownCRC32 == nil { index.recordRangeTextCRC32(crc, prefix: prefix) }
                return byteCount
            }
        case .br:
            bound = RangeBrotli.maximumSize(of: capacity)
            // Counts of one digit (most are): a wrong estimate of the text's length costs a
            // header rewritten, or at worst a second pass.
            let estimate = (representation.realCount + padding.count) * (digits + 4) - 2
            write = { RangeBrotli.brotli(suffixDigits: digits, estimatedLength: estimate, into: $0, rows: $1) }
        }
        var encoded = ByteBuffer()
        var written: Int?
        _ = padding.withUnsafeBufferPointer { padding in
            encoded.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { output in
                written = write(UnsafeMutableRawBufferPointer(rebasing: output[..<bound])) {
                    index.forEachRangeRows(prefix: prefix, padding: padding, $0)
                }
                return written ?? 0
            }
        }
        return written.map { _ in encoded }
    }

    /// `answer` with RFC 9530's digest of the representation as sent (its content coding
    /// applied), so that a downloader can tell a body changed on the way (brotli and plain
    /// HTTP carry no checksum). Only for a request that asks (`Want-Repr-Digest`, which
    /// `breachdb download` sends): the SHA-256 of the body was a third of a plain answer's
    /// CPU in `perf` profiles (docs/benchmarks.md), and the public API's clients ask for none.
    private static func withDigest(_ answer: Answer) -> Answer {
        var headers = answer.headers
        headers[.reprDigest] = answer.body.withUnsafeReadableBytes { RepresentationDigest.field(of: $0) }
        // Readable by a page's script on another origin too (CORS hides fields not listed).
        headers[.accessControlExposeHeaders] = HTTPField.Name.reprDigest.rawName
        // The same parts, so that a cache holds the body once for both.
        return Answer(status: answer.status, headers: headers, bodyParts: answer.bodyParts)
    }

    /// The fields a 200 and a 304 share (RFC 9110 §15.4.5: a 304 sends those a 200 would).
    private static func fields(of representation: Representation, entityTag: String) -> HTTPFields {
        [
            .contentType: "text/plain",
            .cacheControl: "public, max-age=2678400",
            .lastModified: HTTPDate.format(representation.index.metadata.builtAt),
            .eTag: entityTag,
            .accessControlAllowOrigin: "*",
            .vary: "Accept-Encoding, Add-Padding, Want-Repr-Digest",
        ]
    }

    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Answer {
        Answer(
            status: status,
            headers: [
                .contentType: "text/plain", .accessControlAllowOrigin: "*",
                .contentLength: String(text.utf8.count),
            ],
            body: ByteBuffer(string: text))
    }
}

extension HTTPField.Name {
    static let addPadding = HTTPField.Name("Add-Padding")!
    static let reprDigest = HTTPField.Name("Repr-Digest")!
    static let wantReprDigest = HTTPField.Name("Want-Repr-Digest")!
}
