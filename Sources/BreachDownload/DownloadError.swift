/// Why a download stopped. No index is written in any of these cases; the ranges
/// finished so far are kept for the next run to continue from.
public enum DownloadError: Error, CustomStringConvertible, Sendable {
    case invalidArguments(String)
    /// A range still failed after every retry.
    case gaveUp(prefix: String, attempts: Int, lastFailure: String)
    /// The server refused a request in a way a retry cannot mend (404, 403, …).
    case refused(prefix: String, reason: String)
    /// Another download is writing the same output.
    case busy(output: String)
    /// The temporary index of an interrupted download is there but cannot be trusted or
    /// read; it is left alone (it may be worth keeping) rather than overwritten.
    case unusablePartial(path: String, reason: String)
    /// The base's stored ranges fail their checksum: copying them would pass the damage on.
    case damagedBase(path: String, problem: String)

    public var description: String {
        switch self {
        case .invalidArguments(let reason): reason
        case .gaveUp(let prefix, let attempts, let lastFailure):
            "range \(prefix) failed \(attempts) times, the last: \(lastFailure)"
        case .refused(let prefix, let reason): "range \(prefix): \(reason)"
        case .busy(let output): "another download is writing \(output) (its lock is held)"
        case .unusablePartial(let path, let reason):
            "the interrupted download cannot be continued: \(reason); remove \(path) to start afresh"
        case .damagedBase(let path, let problem):
            "the base \(path) is damaged (\(problem)); verify it, and download afresh without --base"
        }
    }
}

/// One failed attempt at a range.
struct RangeFailure: Error, CustomStringConvertible {
    var description: String
    /// A retry may succeed (network faults, 5xx, 429, bad bodies); `false` for answers
    /// that will not change (a 404 or 403, a redirect that is not followed).
    var isRetryable = true
    /// The server's `Retry-After`, when it sent one: the only case in which a retry waits
    /// on the first failure.
    var retryAfter: Duration?
    /// The body decoded past ``DownloadOptions/maximumRangeBytes`` (a decompression bomb, or
    /// a source far denser than any real one): the retry asks for it uncompressed, so that
    /// the wire bound applies and a bomb is never inflated twice.
    var inflatedPastBound = false
}
