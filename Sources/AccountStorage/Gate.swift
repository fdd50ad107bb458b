import Synchronization

/// Opens once, for good; `wait()` returns when it is open (at once after that).
/// A cancelled waiter stops waiting with `CancellationError`.
///
/// A latch, not a way off the cooperative pool: no work runs here, the waiting tasks are
/// suspended until an event (the database pool running) and then go on where they were.
/// Blocking work goes to `BlockingWorkPool` (BlockingWork).
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    }

    private let state = Mutex(State())

    /// How many tasks wait at the gate now (tests wait for a task to arrive here).
    var waiting: Int { state.withLock { $0.waiters.count } }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async throws {
        let id: UInt64? = state.withLock { state in
            if state.isOpen { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let now: Result<Void, any Error>? = state.withLock { state in
                    if state.isOpen { return .success(()) }
                    // Cancelled before the waiter was stored: onCancel found nothing to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
