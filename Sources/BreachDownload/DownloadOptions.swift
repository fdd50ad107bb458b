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
    public var stallTimeout: Duration = .seconds(30)
    /// How often the finished ranges are committed, so that a killed download resumes
    /// from there (also every ``bytesPerCheckpoint``, whichever comes first).
    public var checkpointInterval: Duration = .seconds(5)
    /// Index bytes written before a checkpoint is due whatever the time: LMDB holds the
    /// pages of a transaction in memory until it commits, so this bounds them.
    public var bytesPerCheckpoint = 16 << 20
    /// Ask for gzip or brotli bodies (`Accept-Encoding: gzip, br`): half the bytes on the
    /// wire. Off, bodies come plain (`identity`): better from `breachdb serve` over
    /// loopback or a LAN, where the daemon would compress each answer its cache does not
    /// hold afresh (about 1 ms of its CPU for a 74 KB range, four times a plain answer).
    public var compressed = true
    public var userAgent: String

    public init(output: String, userAgent: String) {
        self.output = output
        self.userAgent = userAgent
    }

    /// Ranges held at most at once between arriving and being written, whatever the
    /// corpus size: answers arrive out of order and are written in prefix order.
    public var reorderWindow: Int { max(16, concurrency * 4) }
}

/// How failed requests are retried: exponential backoff with jitter, at least as long
/// as the server's `Retry-After`, a bounded number of times.
public struct RetryPolicy: Sendable {
    /// Attempts per range, the first included.
    public var attempts = 10
    public var initialDelay: Duration = .milliseconds(500)
    public var maximumDelay: Duration = .seconds(60)
    /// The most a `Retry-After` is waited for (a server asking for hours ends the download).
    public var maximumRetryAfter: Duration = .seconds(300)

    public init() {}

    /// How long to wait after the `failures`-th failure (1-based): a random time between
    /// half and all of `initialDelay · 2^(failures−1)` (capped at `maximumDelay`), so that
    /// many workers failing together do not retry together; never less than `retryAfter`.
    public func delay(afterFailure failures: Int, retryAfter: Duration?) -> Duration {
        let exponential = initialDelay * Double(1 << min(failures - 1, 30))
        let ceiling = min(exponential, maximumDelay)
        let jittered = ceiling * Double.random(in: 0.5...1)
        return max(jittered, min(retryAfter ?? .zero, maximumRetryAfter))
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
