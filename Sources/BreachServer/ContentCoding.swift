import CBrotli
import CZlib

/// The content codings a range answer can be sent in (RFC 9110 §8.4.1).
enum ContentCoding: String, Sendable, Hashable {
    case identity
    case gzip
    /// Brotli (RFC 7932): 7 % smaller than gzip on a range answer (hex digits leave little to gain).
    case br

    /// The coding to answer a request's `Accept-Encoding` with: the compressed one the client
    /// rates highest, brotli on a tie; identity when the client names neither (`*` names both)
    /// or refuses them with `q=0`.
    static func preferred(by acceptEncoding: String?) -> ContentCoding {
        guard let acceptEncoding else { return .identity }
        var qualities: [Substring: Double] = [:]
        for item in acceptEncoding.split(separator: ",") {
            let parameters = item.split(separator: ";").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased()[...] }
            guard let name = parameters.first else { continue }
            let quality = parameters.dropFirst().first { $0.hasPrefix("q=") }.map { Double($0.dropFirst(2)) ?? 0 } ?? 1
            qualities[name] = quality
        }
        let ranked = [ContentCoding.br, .gzip].map { coding in
            (coding, qualities[Substring(coding.rawValue)] ?? qualities["*"] ?? 0)
        }
        guard let best = ranked.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return .identity }
        return best.0
    }

    /// `input` in this coding; `nil` only if the library fails (the caller sends identity).
    func encode(_ input: [UInt8]) -> [UInt8]? {
        switch self {
        case .identity: input
        case .gzip: Self.gzip(input)
        case .br: Self.brotli(input)
        }
    }

    private static func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // 15 window bits + 16: write a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Quality 5: padded answers are compressed per request, and above 5 brotli's time grows
    /// much faster than its gain on hex text.
    private static func brotli(_ input: [UInt8], quality: Int32 = 5) -> [UInt8]? {
        var size = BrotliEncoderMaxCompressedSize(input.count)
        var output = [UInt8](repeating: 0, count: size)
        let done = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, source.count, source.baseAddress, &size, target.baseAddress)
            }
        }
        guard done == BROTLI_TRUE else { return nil }
        output.removeLast(output.count - size)
        return output
    }
}
