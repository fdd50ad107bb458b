import BreachHash
import BreachIndex

/// One range as fetched and checked, waiting for its turn to be written.
enum FetchedRange: Sendable {
    case entries([HashCount], validator: String?)
    /// 304: the range is as in the base index; the validator the server sent, else the one asked with.
    case unchanged(validator: String)
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
        var failures = 0
        while true {
            let failure: RangeFailure
            statistics.requests.add(1, ordering: .relaxed)
            do {
                switch try await source.fetch(prefix: prefix, validator: validator) {
                case .notModified(let newValidator):
                    return .unchanged(validator: newValidator)
                case .body(let body, let newValidator, let wireBytes):
                    statistics.wireBytes.add(wireBytes, ordering: .relaxed)
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
            let name = BreachIndex.rangePrefixText(prefix)
            guard failure.isRetryable else { throw DownloadError.refused(prefix: name, reason: failure.description) }
            guard failures < retry.attempts else {
                throw DownloadError.gaveUp(prefix: name, attempts: failures, lastFailure: failure.description)
            }
            statistics.retries.add(1, ordering: .relaxed)
            try await Task.sleep(for: retry.delay(afterFailure: failures, retryAfter: failure.retryAfter))
        }
    }
}
