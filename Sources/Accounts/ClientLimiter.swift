import BreachSupport
import Foundation
import Synchronization

/// Counts requests per client (an IP address) in fixed windows, in this process: the
/// per-client half of the limits on routes that send mail or make codes (sign-up,
/// reset requests, device codes). The per-address half is in the store, shared by
/// every node (``AccountTransaction/messageCount(to:since:)``).
final class ClientLimiter: Sendable {
    private struct Window {
        var number: Int64 = 0
        var counts: [String: Int] = [:]
    }

    let limit: Int
    let window: Duration
    /// Clients tracked in one window at most; past it, new ones are let through
    /// uncounted (a bound on memory: that many addresses defeat a per-client limit anyway).
    let trackedClients: Int
    private let state = Mutex(Window())

    init(limit: Int, window: Duration, trackedClients: Int = 100_000) {
        self.limit = limit
        self.window = window
        self.trackedClients = trackedClients
    }

    /// Counts one request of `client`; false when it has had its `limit` in this window.
    func admit(_ client: String, at now: Date) -> Bool {
        let number = Int64((now.timeIntervalSince1970 / window.timeInterval).rounded(.down))
        return state.withLock { state in
            if state.number != number { state = Window(number: number) }
            let count = state.counts[client]
            if count == nil, state.counts.count >= trackedClients { return true }
            guard (count ?? 0) < limit else { return false }
            state.counts[client] = (count ?? 0) + 1
            return true
        }
    }
}
