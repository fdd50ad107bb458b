import BreachIndex
import Foundation

/// Hands batches of parsed hashes from the reading thread to the sorting thread.
/// Bounded, so a fast reader waits for a slow writer instead of filling memory.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[HashCount]] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; returns `false` once the consumer has given up.
    func push(_ batch: [HashCount]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch; `nil` after the last; rethrows the producer's error.
    func pop() throws -> [HashCount]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        if !batches.isEmpty {
            condition.broadcast()
            return batches.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// The producer is done, successfully or with `error`.
    func finish(throwing error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops; a waiting producer is released.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
