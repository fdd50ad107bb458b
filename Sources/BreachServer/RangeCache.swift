import BreachHash
import NIOCore
import Synchronization

/// Finished range answers, so a prefix asked for again is served from memory, as a
/// static-file server would, instead of being decoded and formatted again. Keyed by
/// index generation, so a reload never serves a stale answer. Bounded in body bytes;
/// when full, it is emptied and refills with what is asked for next (simple, and the
/// working set of popular prefixes comes back within requests).
final class RangeCache: Sendable {
    struct Key: Hashable {
        var generation: String
        var kind: HashKind
        var prefix: Int
        var coding: ContentCoding
    }

    private let state = Mutex<(answers: [Key: Answer], bytes: Int)>(([:], 0))
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func answer(for key: Key, make: () -> Answer) -> Answer {
        if let cached = state.withLock({ $0.answers[key] }) { return cached }
        let answer = make()
        let size = answer.body.readableBytes
        state.withLock { state in
            if state.bytes + size > capacity {
                state = ([:], 0)
            }
            if size <= capacity {
                state.answers[key] = answer
                state.bytes += size
            }
        }
        return answer
    }
}
