import BreachHash
import BreachIndex

/// One range as fetched and checked, waiting for its turn to be written.
enum FetchedRange: Sendable {
    case entries([HashCount], validator: String?)
    /// 304: the range is as in the base index; the validator the server sent, else the one asked with.
    case unchanged(validator: String)

    /// What it holds in memory while it waits in the reorder window.
    var bytes: Int {
        switch self {
        case .entries(let entries, let validator):
            64 + entries.capacity * MemoryLayout<HashCount>.stride + (validator?.utf8.count ?? 0)
        case .unchanged(let validator): 64 + validator.utf8.count
        }
    }
}

/// Fetches one range, retrying until it arrives whole and valid or the attempts run out.
/// Runs in the download's concurrent tasks; parsing happens here, off the writer's task.
struct RangeFetcher: Sendable {
    let source: any RangeSource
    let kind: HashKind
    let retry: RetryPolicy
    let statistics: DownloadStatistics

    func fetch(prefix: Int, validator: String?) async throws -> FetchedRange {
        let parser = RangeBodyParser(kind: kind)
        let name = BreachIndex.rangePrefixText(prefix)
        var failures = 0
        var uncompressed = false
        while true {
            let failure: RangeFailure
            statistics.requests.add(1, ordering: .relaxed)
            do {
                switch try await source.fetch(prefix: prefix, validator: validator, uncompressed: uncompressed) {
                case .notModified(let newValidator):
                    return .unchanged(validator: newValidator)
                case .body(let body, let newValidator, let wireBytes):
                    statistics.wireBytes.add(wireBytes, ordering: .relaxed)
                    // Stored as an empty range, it would make every hash of the prefix read
                    // "not breached"; the range API never serves one (it pads empty ranges).
                    guard !body.isEmpty else {
                        throw RangeFailure(description: "an empty body (the range API never serves an empty range)")
                    }
                    var entries: [HashCount] = []
                    entries.reserveCapacity(body.count / (kind.suffixHexDigitCount + 3))
                    do {
                        let padding = try body.withUnsafeBytes { try parser.parse($0, prefix: prefix, into: &entries) }
                        statistics.textBytes.add(body.count, ordering: .relaxed)
                        statistics.paddingRows.add(padding, ordering: .relaxed)
                        return .entries(entries, validator: newValidator)
                    } catch {
                        failure = RangeFailure(description: "an invalid body (\(error))")
                    }
                }
            } catch let error as RangeFailure {
                failure = error
            }
            failures += 1
            guard failure.isRetryable else { throw DownloadError.refused(prefix: name, reason: failure.description) }
            guard failures < retry.attempts else {
                throw DownloadError.gaveUp(prefix: name, attempts: failures, lastFailure: failure.description)
            }
            if let asked = failure.retryAfter, asked > retry.maximumRetryAfter {
                throw DownloadError.refused(
                    prefix: name,
                    reason:
                        "\(failure.description), asking to wait \(asked.components.seconds) s, longer than the \(retry.maximumRetryAfter.components.seconds) s a download waits"
                )
            }
            uncompressed = uncompressed || failure.inflatedPastBound
            statistics.retries.add(1, ordering: .relaxed)
            let delay = retry.delay(afterFailure: failures, retryAfter: failure.retryAfter)
            guard delay > .zero else { continue }
            // The progress line says how many ranges wait because the server asked them to.
            let askedByServer = failure.retryAfter != nil
            if askedByServer { statistics.waitingOnServer.add(1, ordering: .relaxed) }
            defer { if askedByServer { statistics.waitingOnServer.subtract(1, ordering: .relaxed) } }
            try await Task.sleep(for: delay)
        }
    }
}
