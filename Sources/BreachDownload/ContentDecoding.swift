import CBrotli
import CZlib

/// Decodes a `Content-Encoding` of a range answer: gzip (zlib) or br (libbrotlidec),
/// never past `limit` bytes of output.
enum ContentDecoding {
    static func decode(_ body: [UInt8], coding: String?, limit: Int) throws(RangeFailure) -> [UInt8] {
        switch coding?.lowercased() {
        case nil, "", "identity": body
        case "gzip", "x-gzip": try gunzip(body, limit: limit)
        case "br": try unbrotli(body, limit: limit)
        case let other?: throw RangeFailure(description: "unsupported Content-Encoding \(other)")
        }
    }

    static func tooLarge(_ coding: String, limit: Int) -> RangeFailure {
        RangeFailure(
            description:
                "the \(coding) body decodes to more than \(limit) bytes (a range of the real corpus is ≈ 80 kB)",
            inflatedPastBound: true)
    }

    private static func gunzip(_ input: [UInt8], limit: Int) throws(RangeFailure) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: a gzip header and trailer (whose CRC-32 is checked).
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw RangeFailure(description: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // One byte over the limit tells a body of exactly `limit` bytes from a larger one.
        var output = [UInt8](repeating: 0, count: min(limit + 1, max(1 << 16, input.count * 4)))
        var produced = 0
        var status = Z_OK
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            // Z_OK: progress made, go on; Z_STREAM_END: done; Z_BUF_ERROR (the output
            // always has room here): the input ended before the stream did.
            while status == Z_OK && produced <= limit {
                if produced == output.count {
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
                }
                output.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress! + produced
                    stream.avail_out = UInt32(target.count - produced)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced = target.count - Int(stream.avail_out)
                }
            }
        }
        guard produced <= limit else { throw tooLarge("gzip", limit: limit) }
        guard status == Z_STREAM_END, stream.avail_in == 0 else {
            throw RangeFailure(description: "the gzip body is damaged or truncated")
        }
        output.removeLast(output.count - produced)
        return output
    }

    private static func unbrotli(_ input: [UInt8], limit: Int) throws(RangeFailure) -> [UInt8] {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            throw RangeFailure(description: "brotli could not start")
        }
        defer { BrotliDecoderDestroyInstance(state) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
        var availableIn = input.count
        input.withUnsafeBufferPointer { source in
            var nextIn = source.baseAddress
            while result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && output.count <= limit {
                var written = 0
                chunk.withUnsafeMutableBufferPointer { target in
                    var availableOut = target.count
                    var nextOut = target.baseAddress
                    result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    written = target.count - availableOut
                }
                output.append(contentsOf: chunk[0..<written])
            }
        }
        guard output.count <= limit else { throw tooLarge("brotli", limit: limit) }
        guard result == BROTLI_DECODER_RESULT_SUCCESS, availableIn == 0 else {
            throw RangeFailure(description: "the brotli body is damaged or truncated")
        }
        return output
    }
}
