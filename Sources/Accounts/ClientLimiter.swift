import BreachSupport
import Foundation
import Synchronization

/// Counts requests per client in fixed windows, in this process: the per-client half of
/// the limits on routes that send mail or make codes (sign-up, reset requests, device
/// codes). The per-address half is in the store, shared by every node
/// (``AccountTransaction/messageCount(to:since:)``).
///
/// A client is counted as the server's rate limit counts it (``ClientAddress/rateLimitKey``:
/// an IPv4 address or an IPv6 /64, the client behind trusted proxies, one shared
/// bucket for peers with no address), so that no way in escapes the limit.
final class ClientLimiter: Sendable {
    private struct Window {
        var number: Int64 = 0
        var counts: [ClientAddress: Int] = [:]
    }

    let limit: Int
    let window: Duration
    /// Clients tracked in one window at most. Past it the least-counted half is
    /// forgotten: those are furthest from the limit, so a flood of new addresses costs
    /// the clients near it nothing, and every request is still counted.
    let trackedClients: Int
    private let state = Mutex(Window())

    init(limit: Int, window: Duration, trackedClients: Int = 100_000) {
        self.limit = limit
        self.window = window
        self.trackedClients = trackedClients
    }

    /// Counts one request of `client`; nil when admitted, else the seconds until the
    /// window ends (the `Retry-After` of the refusal).
    func admit(_ client: ClientAddress, at now: Date) -> Int? {
        let key = client.rateLimitKey
        let length = window.timeInterval
        let number = Int64((now.timeIntervalSince1970 / length).rounded(.down))
        return state.withLock { state in
            if state.number != number { state = Window(number: number) }
            let count = state.counts[key] ?? 0
            guard count < limit else {
                return max(1, Int((Double(number + 1) * length - now.timeIntervalSince1970).rounded(.up)))
            }
            if count == 0, state.counts.count >= trackedClients {
                let kept = state.counts.sorted { $0.value > $1.value }.prefix(trackedClients / 2)
                state.counts = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
            }
            state.counts[key] = count + 1
            return nil
        }
    }
}
