import Synchronization

/// Counters the concurrent fetches update and the progress line and summary read.
final class DownloadStatistics: Sendable {
    let requests = Atomic<Int>(0)
    let retries = Atomic<Int>(0)
    /// Bytes received on the wire (compressed).
    let wireBytes = Atomic<Int>(0)
    /// Range text after decoding.
    let textBytes = Atomic<Int>(0)
    let paddingRows = Atomic<Int>(0)
    /// Ranges now waiting out a server's `Retry-After`.
    let waitingOnServer = Atomic<Int>(0)
}

/// What a download did.
public struct DownloadSummary: Sendable {
    public var ranges = 0
    /// Ranges whose content was transferred (200).
    public var changed = 0
    /// Ranges the server confirmed unchanged (304), copied from the base.
    public var unchanged = 0
    /// Ranges finished by an earlier, interrupted run.
    public var resumedFrom = 0
    public var requests = 0
    public var retries = 0
    public var wireBytes = 0
    public var textBytes = 0
    public var paddingRowsDropped = 0
    public var hashCount: UInt64 = 0
    public var contentDigest = ""
    /// An in-place refresh in which every range was unchanged: the file was left untouched.
    public var nothingChanged = false
    public var seconds = 0.0
}
