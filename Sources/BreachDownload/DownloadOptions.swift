import BreachHash
import BreachIndex
import BreachSupport
import Foundation

/// What `breachdb download` fetches and how.
public struct DownloadOptions: Sendable {
    /// The public Pwned Passwords range API.
    public static let publicAPI = "https://api.pwnedpasswords.com"

    /// The index file to write (replaced atomically when the download is complete).
    public var output: String
    /// A server that speaks the range API: `GET {source}/range/{PREFIX}`.
    public var source: String = Self.publicAPI

    /// `source` as it may be shown and stored in the index (whose metadata `stats` and
    /// `GET /v1/index` print): its password, query values and other secrets hidden (`redactedURL`).
    public var sourceForDisplay: String { redactedURL(source) }
    public var kind: HashKind = .sha1
    /// Whole hashes, or the compact check-only form (as `ingest --compact` writes).
    public var format: IndexFormat = .full
    /// An earlier download whose ranges are revalidated (`If-None-Match`) and copied on 304.
    public var base: String?
    /// Requests in flight at once.
    public var concurrency = 32
    public var prefixes: PrefixRange = .all
    /// Fail unless there is an interrupted download of the same ranges to continue.
    public var requiresResume = false
    /// Ask for padded answers (`Add-Padding: true`); the padding rows are dropped.
    public var padding = false
    public var retry = RetryPolicy()
    /// A request that receives nothing for this long is abandoned and retried (a stall).
    /// A whole request, head and body, is abandoned after 4 times this however its bytes
    /// trickle in, and a body arriving slower than ``minimumBodyRate`` once this has passed.
    public var stallTimeout: Duration = .seconds(30)
    /// Bytes a second a body must average from its head on, once ``stallTimeout`` has passed.
    public var minimumBodyRate = 1024
    /// The most one range may take, on the wire and decoded: a real range is ≈ 80 kB
    /// (≈ 120 kB padded), so this only stops a decompression bomb or a hostile source.
    public var maximumRangeBytes = 1 << 20
    /// Bytes of parsed ranges held at most between arriving and being written (answers
    /// arrive out of order and are written in prefix order): ≈ 2,000 ranges of the real
    /// corpus, so a range being retried holds no others back for seconds.
    public var reorderWindowBytes = 128 << 20
    /// Requests in flight at most (`--concurrency` is refused above this).
    public static let maximumConcurrency = 256

    /// TLS: trust only the CA certificates in this PEM file (a private CA), not the system's.
    public var certificateAuthorityFile: String?
    /// TLS: present this client certificate chain (PEM) and key, for a primary that asks for one.
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    /// A file whose content (one line, e.g. `Bearer TOKEN`) is sent as the `Authorization` field.
    public var authorizationFile: String?
    /// How often the finished ranges are committed, so that a killed download resumes
    /// from there (also every ``bytesPerCheckpoint``, whichever comes first).
    public var checkpointInterval: Duration = .seconds(5)
    /// Index bytes written before a checkpoint is due whatever the time: LMDB holds the
    /// pages of a transaction in memory until it commits, so this bounds them.
    public var bytesPerCheckpoint = 16 << 20
    /// Ask for gzip or brotli bodies (`Accept-Encoding: gzip, br`): half the bytes on the
    /// wire. Off, bodies come plain (`identity`): better from `breachdb serve` over
    /// loopback or a LAN, where the daemon would compress each answer its cache does not
    /// hold afresh (docs/benchmarks.md, "Download from the range API", has the cost).
    public var compressed = true
    public var userAgent: String

    public init(output: String, userAgent: String) {
        self.output = output
        self.userAgent = userAgent
    }
}

/// How failed requests are retried: exponential backoff with jitter, at least as long
/// as the server's `Retry-After`, a bounded number of times.
public struct RetryPolicy: Sendable {
    /// Attempts per range, the first included.
    public var attempts = 10
    public var initialDelay: Duration = .milliseconds(500)
    public var maximumDelay: Duration = .seconds(60)
    /// The most a `Retry-After` is waited for: a server asking for longer ends the download
    /// (saying so) rather than being asked again early.
    public var maximumRetryAfter: Duration = .seconds(300)

    public init() {}

    /// How long to wait after the `failures`-th failure (1-based). A server that says how
    /// long to wait (`Retry-After`) is waited for that long, plus up to 10 % so that the
    /// ranges it held back do not all return at one instant. Otherwise (a reset, a stall, a
    /// bad body: most often one bad connection or packet) the first retry is immediate and
    /// later ones back off: a random time between half and all of
    /// `initialDelay · 2^(failures−2)`, capped at `maximumDelay`.
    public func delay(afterFailure failures: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return retryAfter * Double.random(in: 1...1.1) }
        guard failures > 1 else { return .zero }
        let exponential = initialDelay * Double(1 << min(failures - 2, 30))
        return min(exponential, maximumDelay) * Double.random(in: 0.5...1)
    }

    /// A `Retry-After` field: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
    public static func retryAfter(_ field: String?, now: Date = Date()) -> Duration? {
        guard let field = field?.trimmingCharacters(in: .whitespaces), !field.isEmpty else { return nil }
        if let seconds = Int(field) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: field) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}
