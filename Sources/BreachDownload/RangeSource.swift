import AsyncHTTPClient
import BreachHash
import BreachIndex
import BreachSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// What a server answered for one range.
enum RangeReply: Sendable {
    /// The range's body, decoded (and checked against its `Repr-Digest` when sent), and
    /// the validator (ETag) sent with it.
    case body([UInt8], validator: String?, wireBytes: Int)
    /// 304: the range is unchanged since the validator that was sent; the ETag the server
    /// sent with it, else that validator.
    case notModified(validator: String)
}

/// Where ranges come from: the seam the downloader's retries and tests work across.
protocol RangeSource: Sendable {
    /// One attempt at the range of `prefix`; `validator` is sent as `If-None-Match`;
    /// `uncompressed` asks for a plain body (after one inflated past its bound).
    /// Throws ``RangeFailure`` for an answer that cannot be used.
    func fetch(prefix: Int, validator: String?, uncompressed: Bool) async throws -> RangeReply
    func shutdown() async throws
}

/// The range API over HTTP with AsyncHTTPClient: HTTP/2 where the server offers it
/// (over TLS), else a pool of HTTP/1.1 keep-alive connections, one per request in flight.
///
/// A hostile or broken source cannot hold a request for long (a deadline on the whole
/// request, head and body, and a minimum body rate), make it hold much memory (the body
/// is bounded on the wire and decoded), send it elsewhere (redirects only to the same
/// scheme, host and port, three at most) or change a body unnoticed (`Repr-Digest`).
final class HTTPRangeSource: RangeSource {
    static let maximumRedirects = 3

    private let client: HTTPClient
    private let endpoint: RangeEndpoint
    private let headers: HTTPHeaders
    private let compressed: Bool
    private let maximumBytes: Int
    private let stallTimeout: Duration
    private let minimumBodyRate: Int
    /// Set once the source has sent a `Repr-Digest`: from then on every body must carry
    /// one (an answer without it was stripped on the way).
    private let sendsDigests = Atomic<Bool>(false)

    init(options: DownloadOptions) throws {
        endpoint = try RangeEndpoint(source: options.source, kind: options.kind)
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(options),
            redirectConfiguration: .disallow,  // followed here, same-origin only
            timeout: .init(connect: .seconds(10), read: TimeAmount(options.stallTimeout)),
            connectionPool: .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
        )
        configuration.httpVersion = .automatic
        var headers: HTTPHeaders = ["User-Agent": options.userAgent]
        if options.padding { headers.add(name: "Add-Padding", value: "true") }
        switch (endpoint.authorization, options.authorizationFile) {
        case (let fromURL?, nil): headers.add(name: "Authorization", value: fromURL)
        case (nil, let file?): headers.add(name: "Authorization", value: try Self.authorization(fromFile: file))
        case (_?, _?):
            throw DownloadError.invalidArguments(
                "--from carries a user name and --authorization-file is given too: use one of them")
        case (nil, nil): break
        }
        self.headers = headers
        compressed = options.compressed
        maximumBytes = options.maximumRangeBytes
        stallTimeout = options.stallTimeout
        minimumBodyRate = options.minimumBodyRate
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private static func tlsConfiguration(_ options: DownloadOptions) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let file = options.certificateAuthorityFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            }
            switch (options.clientCertificateFile, options.clientKeyFile) {
            case (let certificate?, let key?):
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            case (nil, nil): break
            default: throw DownloadError.invalidArguments("--client-cert and --client-key go together")
            }
        } catch let error as NIOSSLError {
            throw DownloadError.invalidArguments("reading the TLS files: \(error)")
        }
        return tls
    }

    /// The file's first line, which is sent as it is (e.g. `Bearer TOKEN`, `Basic …`).
    static func authorization(fromFile path: String) throws -> String {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) })
        else {
            throw DownloadError.invalidArguments("--authorization-file \(path): cannot be read")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !line.isEmpty else {
            throw DownloadError.invalidArguments("--authorization-file \(path): the file is empty")
        }
        return line
    }

    func fetch(prefix: Int, validator: String?, uncompressed: Bool) async throws -> RangeReply {
        var request = HTTPClientRequest(url: endpoint.url(forPrefix: prefix))
        request.headers = headers
        request.headers.add(name: "Accept-Encoding", value: acceptEncoding(uncompressed: uncompressed))
        // `breachdb serve` digests a body only when asked; other sources may send one anyway.
        request.headers.add(name: "Want-Repr-Digest", value: RepresentationDigest.wantField)
        if let validator { request.headers.add(name: "If-None-Match", value: validator) }
        let started = ContinuousClock.now
        // async-http-client's deadline ends with the response head; this one covers the body too.
        let deadline = started + stallTimeout * 4
        var redirects = 0
        while true {
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, deadline: NIODeadline.now() + TimeAmount(deadline - .now))
            } catch {
                throw RangeFailure(description: "\(error)")
            }
            let code = response.status.code
            if [301, 302, 303, 307, 308].contains(code) {
                request.url = try redirectTarget(response, from: request.url, hop: redirects + 1)
                redirects += 1
                continue
            }
            let body = try await collect(response.body, deadline: deadline)
            let etag = response.headers.first(name: "ETag").flatMap {
                $0.utf8.count <= Self.maximumValidatorLength ? $0 : nil
            }
            switch code {
            case 200:
                // RFC 9530: the digest is of the bytes as sent, so it is checked before decoding.
                try check(body, against: response.headers.first(name: "Repr-Digest"))
                let decoded = try ContentDecoding.decode(
                    body, coding: response.headers.first(name: "Content-Encoding"), limit: maximumBytes)
                return .body(decoded, validator: etag, wireBytes: body.count)
            case 304 where validator != nil:
                return .notModified(validator: etag ?? validator!)
            case 408, 429, 500...599:
                throw RangeFailure(
                    description: "HTTP \(code) \(response.status.reasonPhrase)",
                    retryAfter: RetryPolicy.retryAfter(response.headers.first(name: "Retry-After")))
            default:
                throw RangeFailure(description: "HTTP \(code) \(response.status.reasonPhrase)", isRetryable: false)
            }
        }
    }

    /// ETags longer than this are not kept (they are stored in the index, one per range; a
    /// cut one would never match): such a range is fetched whole on the next refresh.
    static let maximumValidatorLength = 256

    private func acceptEncoding(uncompressed: Bool) -> String {
        guard compressed, !uncompressed else { return "identity" }
        // Brotli has no checksum: over plain HTTP only gzip, whose CRC-32 protects a body from
        // a source that sends no digest. Always the same coding, so that the stored ETags
        // (one per coding) match on the next refresh.
        return endpoint.isEncrypted ? "gzip, br" : "gzip"
    }

    private func check(_ body: [UInt8], against field: String?) throws(RangeFailure) {
        switch RepresentationDigest.expectation(inField: field) {
        case .none:
            if sendsDigests.load(ordering: .relaxed) {
                throw RangeFailure(description: "an answer without the Repr-Digest the source sent with its others")
            }
        case .malformed:
            throw RangeFailure(description: "a Repr-Digest field that is not sha-256=:BASE64:")
        case .sha256(let expected):
            guard body.withUnsafeBytes(RepresentationDigest.sha256) == expected else {
                throw RangeFailure(description: "a body that does not match its Repr-Digest (changed on the way)")
            }
            sendsDigests.store(true, ordering: .relaxed)
        }
    }

    /// The body, refused when it passes the byte bound, the request's deadline, or falls
    /// below the minimum rate (a stall between bytes is the client's read timeout).
    private func collect(_ body: HTTPClientResponse.Body, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        let headArrived = ContinuousClock.now
        do {
            for try await chunk in body {
                guard bytes.count + chunk.readableBytes <= maximumBytes else {
                    throw RangeFailure(
                        description:
                            "a body over \(maximumBytes) bytes on the wire (a range of the real corpus is ≈ 80 kB)",
                        isRetryable: false)
                }
                bytes.append(contentsOf: chunk.readableBytesView)
                let now = ContinuousClock.now
                guard now < deadline else {
                    throw RangeFailure(
                        description: "no whole answer within \(stallTimeout * 4) (\(bytes.count) body bytes came)")
                }
                let seconds = Double((now - headArrived) / .milliseconds(1)) / 1000
                if now - headArrived > stallTimeout && Double(bytes.count) < seconds * Double(minimumBodyRate) {
                    throw RangeFailure(
                        description:
                            "a body arriving at \(Int(Double(bytes.count) / seconds)) bytes/s, below the minimum \(minimumBodyRate)"
                    )
                }
            }
        } catch let failure as RangeFailure {
            throw failure
        } catch {
            throw RangeFailure(description: "\(error)")
        }
        return bytes
    }

    private func redirectTarget(_ response: HTTPClientResponse, from url: String, hop: Int) throws(RangeFailure)
        -> String
    {
        guard hop <= Self.maximumRedirects else {
            throw RangeFailure(description: "more than \(Self.maximumRedirects) redirects", isRetryable: false)
        }
        guard let location = response.headers.first(name: "Location"),
            let target = URL(string: location, relativeTo: URL(string: url))?.absoluteURL,
            let origin = URL(string: url)
        else {
            throw RangeFailure(
                description: "HTTP \(response.status.code) without a usable Location", isRetryable: false)
        }
        guard target.scheme?.lowercased() == origin.scheme?.lowercased(),
            target.host?.lowercased() == origin.host?.lowercased(),
            RangeEndpoint.port(of: target) == RangeEndpoint.port(of: origin)
        else {
            throw RangeFailure(
                description:
                    "HTTP \(response.status.code) to \(redactedURL(target.absoluteString)): redirects to another scheme, host or port are not followed",
                isRetryable: false)
        }
        return target.absoluteString
    }

    func shutdown() async throws {
        try await client.shutdown()
    }
}
