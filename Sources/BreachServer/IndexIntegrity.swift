import BreachIndex
import BreachSupport
import Foundation
import Synchronization

/// What is known of one served index's bytes. Opening an index checks only its structure
/// (LMDB's pages, the metadata, every bucket key); its chunk checksums are verified here,
/// chunk by chunk, while it is served (at start) or before it is swapped in (at reload).
public final class IndexIntegrity: Sendable {
    public enum Status: Sendable, Equatable {
        /// `checked` chunks of ``BreachIndex/checksumChunkCount`` verified so far, none damaged.
        case verifying(checked: Int)
        /// Every chunk matches its checksum.
        case intact
        /// Some chunks fail their checksum: one line each.
        case damaged(problems: [String])
    }

    public let index: BreachIndex

    private struct State {
        var checked = 0
        var problems: [String] = []
        /// No longer served: stop verifying and publishing.
        var isStopped = false
        /// Served: its progress goes to the metrics.
        var isPublished = false
    }

    private let state = Mutex(State())

    init(index: BreachIndex) {
        self.index = index
    }

    public var status: Status {
        state.withLock { state in
            if !state.problems.isEmpty { return .damaged(problems: state.problems) }
            return state.checked == BreachIndex.checksumChunkCount ? .intact : .verifying(checked: state.checked)
        }
    }

    /// Verifies every chunk in turn, pausing `pause` after each (none in production: a
    /// test's way to watch it under way), and calls `found` with each problem as it is
    /// found. Returns `false` if stopped first.
    @discardableResult
    func verify(pause: Duration = .zero, found: (String) -> Void = { _ in }) -> Bool {
        for chunk in 0..<BreachIndex.checksumChunkCount {
            let problem = index.checksumProblem(inChunk: chunk)
            let stopped = state.withLock { state in
                if state.isStopped { return true }
                state.checked += 1
                if let problem { state.problems.append(problem) }
                if state.isPublished { VerificationMetrics.record(self, state.checked, damaged: state.problems.count) }
                return false
            }
            if stopped { return false }
            if let problem { found(problem) }
            if pause > .zero { Thread.sleep(forTimeInterval: pause.timeInterval) }
        }
        return true
    }

    /// From now on, progress goes to the metrics, unless stopped (no longer served).
    func publish() {
        state.withLock { state in
            guard !state.isStopped else { return }
            state.isPublished = true
            VerificationMetrics.record(self, state.checked, damaged: state.problems.count)
        }
    }

    /// Ends a verification under way at its next chunk, and its metrics.
    func stop() {
        state.withLock { $0.isStopped = true }
    }
}
