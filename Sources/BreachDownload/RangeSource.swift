import AsyncHTTPClient
import BreachHash
import BreachIndex
import Foundation
import NIOCore
import NIOHTTP1

/// What a server answered for one range.
enum RangeReply: Sendable {
    /// The range's body, decoded, and the validator (ETag) sent with it.
    case body([UInt8], validator: String?, wireBytes: Int)
    /// 304: the range is unchanged since the validator that was sent; the ETag the server
    /// sent with it, else that validator.
    case notModified(validator: String)
}

/// Where ranges come from: the seam the downloader's retries and tests work across.
protocol RangeSource: Sendable {
    /// One attempt at the range of `prefix`; `validator` is sent as `If-None-Match`.
    /// Throws ``RangeFailure`` for an answer that cannot be used.
    func fetch(prefix: Int, validator: String?) async throws -> RangeReply
    func shutdown() async throws
}

/// The range API over HTTP with AsyncHTTPClient: HTTP/2 where the server offers it
/// (over TLS), else a pool of HTTP/1.1 keep-alive connections, one per request in flight.
final class HTTPRangeSource: RangeSource {
    /// Compressed bodies larger than this are refused (a real range is ≈ 30 kB compressed).
    static let maximumBodyBytes = 16 << 20

    private let client: HTTPClient
    private let base: String
    private let kind: HashKind
    private let headers: HTTPHeaders
    private let timeout: TimeAmount

    init(options: DownloadOptions) {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10), read: TimeAmount(options.stallTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
        )
        configuration.httpVersion = .automatic
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var source = options.source
        while source.hasSuffix("/") { source.removeLast() }
        base = source
        kind = options.kind
        var headers: HTTPHeaders = ["User-Agent": options.userAgent, "Accept-Encoding": options.compressed ? "gzip, br" : "identity"]
        if options.padding { headers.add(name: "Add-Padding", value: "true") }
        self.headers = headers
        // A whole request, body included, is bounded too: a server trickling bytes never trips the read timeout.
        timeout = TimeAmount(options.stallTimeout * 4)
    }

    func fetch(prefix: Int, validator: String?) async throws -> RangeReply {
        var request = HTTPClientRequest(url: "\(base)/range/\(BreachIndex.rangePrefixText(prefix))\(kind == .ntlm ? "?mode=ntlm" : "")")
        request.headers = headers
        if let validator { request.headers.add(name: "If-None-Match", value: validator) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch let error as HTTPClientError {
            throw RangeFailure(description: "\(error)")
        } catch let error as NIOTooManyBytesError {
            throw RangeFailure(description: "a body over \(Self.maximumBodyBytes) bytes (\(error))", isRetryable: false)
        } catch {
            throw RangeFailure(description: "\(error)")
        }
        let etag = response.headers.first(name: "ETag")
        switch response.status.code {
        case 200:
            let decoded = try ContentDecoding.decode(Array(body.readableBytesView), coding: response.headers.first(name: "Content-Encoding"))
            return .body(decoded, validator: etag, wireBytes: body.readableBytes)
        case 304 where validator != nil:
            return .notModified(validator: etag ?? validator!)
        case 408, 429, 500...599:
            throw RangeFailure(description: "HTTP \(response.status.code) \(response.status.reasonPhrase)",
                               retryAfter: RetryPolicy.retryAfter(response.headers.first(name: "Retry-After")))
        default:
            throw RangeFailure(description: "HTTP \(response.status.code) \(response.status.reasonPhrase)", isRetryable: false)
        }
    }

    func shutdown() async throws {
        try await client.shutdown()
    }
}
