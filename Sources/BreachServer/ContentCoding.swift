/// The content codings a range answer can be sent in (RFC 9110 §8.4.1).
enum ContentCoding: String, Sendable, Hashable {
    case identity
    case gzip
    /// Brotli (RFC 7932).
    case br

    /// The coding to answer a request's `Accept-Encoding` with: the compressed one the client
    /// rates highest, brotli on a tie (4 % smaller than gzip, and 63–68 µs of a daemon's CPU
    /// an answer against gzip's 71–80, 90–94 for a prefix's first, on uniform random prefixes
    /// at the real density: it needs no CRC-32, so no text, and its hex digits take no table;
    /// docs/benchmarks.md), as
    /// nginx with both static modules answers; identity when the client names neither (`*`
    /// names both) or refuses them with `q=0`. (Replicas ask for "gzip, br": once their
    /// primary prefers brotli, each of their stored gzip ETags misses once, and they fetch
    /// every range again on their next refresh.)
    static func preferred(by acceptEncoding: String?) -> ContentCoding {
        guard let acceptEncoding else { return .identity }
        var qualities: [Substring: Double] = [:]
        for item in acceptEncoding.split(separator: ",") {
            let parameters = item.split(separator: ";").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased()[...] }
            guard let name = parameters.first else { continue }
            let quality = parameters.dropFirst().first { $0.hasPrefix("q=") }.map { Double($0.dropFirst(2)) ?? 0 } ?? 1
            qualities[name] = quality
        }
        // Brotli first: `max` keeps the first of equals.
        let ranked = [ContentCoding.br, .gzip].map { coding in
            (coding, qualities[Substring(coding.rawValue)] ?? qualities["*"] ?? 0)
        }
        guard let best = ranked.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return .identity }
        return best.0
    }

    /// What a strong entity tag adds for this coding. It names the encoder's settings too
    /// (`gzip-r1`: `RangeDeflate`'s code; `br-r2`: `RangeBrotli`'s two literal trees, where
    /// `br-r1` had one), since other settings give other bytes, and a strong tag promises the
    /// same bytes from every node that sends it.
    var entityTagSuffix: String {
        switch self {
        case .identity: ""
        case .gzip: "-gzip-r1"
        case .br: "-br-r2"
        }
    }
}
