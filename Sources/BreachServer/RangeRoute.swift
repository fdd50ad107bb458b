import BreachHash
import BreachIndex
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /range/{prefix}`: the Pwned Passwords range API, byte for byte.
struct RangeRoute {
    /// Padded answers have between these many lines, as the public API's do.
    static let paddedLines = 800...1000

    static func respond(to request: Request, prefix text: String, indexes: ServedIndexes, cache: RangeCache) throws -> Response {
        guard let prefix = BreachIndex.rangePrefix(text) else {
            return plainText(.badRequest, "The hash prefix was not in a valid format")
        }
        let snapshot = indexes.snapshot
        let mode = request.uri.queryParameters.get("mode")?.lowercased() ?? "sha1"
        let index: BreachIndex
        switch mode {
        case "sha1": index = snapshot.sha1
        case "ntlm":
            guard let ntlm = snapshot.ntlm else { return plainText(.badRequest, "This server has no NTLM index") }
            index = ntlm
        default: return plainText(.badRequest, "The mode must be sha1 or ntlm")
        }
        // An empty body breaks common clients, so an empty range is always padded.
        let padded = request.headers[.addPadding]?.lowercased() == "true" || !index.hasEntries(inRange: prefix)
        let etag = "\(padded ? "W/" : "")\"\(index.metadata.generation)-\(text.uppercased())-\(index.kind.rawValue)\""

        var headers: HTTPFields = [
            .contentType: "text/plain",
            .cacheControl: "public, max-age=2678400",
            .lastModified: httpDate(index.metadata.builtAt),
            .eTag: etag,
            .accessControlAllowOrigin: "*",
            .vary: "Accept-Encoding, Add-Padding",
        ]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let gzip = acceptsGzip(request.headers[.acceptEncoding])
        if gzip { headers[.contentEncoding] = "gzip" }
        func encode(_ entries: [HashCount]) -> ByteBuffer {
            let body = BreachIndex.rangeBody(entries, kind: index.kind)
            return ByteBuffer(bytes: gzip ? Gzip.compress(body) ?? body : body)
        }
        let body: ByteBuffer
        if padded {
            // Fresh padding for every request: never cached.
            var padding = index.range(prefix: prefix)
            pad(&padding, prefix: prefix, kind: index.kind)
            body = encode(padding)
        } else {
            let key = RangeCache.Key(generation: index.metadata.generation, kind: index.kind.rawValue, prefix: prefix, gzip: gzip)
            body = cache.body(for: key) { encode(index.range(prefix: prefix)) }
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
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

    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "gzip" || parts.first == "*" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }

    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain", .accessControlAllowOrigin: "*"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An IMF-fixdate (`Sun, 22 Nov 2026 19:26:20 GMT`), as HTTP dates are written.
    static func httpDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension HTTPField.Name {
    static let addPadding = HTTPField.Name("Add-Padding")!
}
