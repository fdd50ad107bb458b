import BreachHash
import NIOCore
import Synchronization

/// Finished range answers, so a prefix asked for again is served from memory, as a
/// static-file server would, instead of being decoded and formatted again. Keyed by
/// index generation, so a reload never serves a stale answer. Bounded in bytes (bodies
/// and heads, as allocated); when full, CLOCK eviction (second chance) makes room: an answer
/// asked for since the hand last passed stays, so the popular prefixes of real traffic
/// stay cached while the long tail passes through.
final class RangeCache: Sendable {
    struct Key: Hashable {
        var generation: String
        var kind: HashKind
        var prefix: Int
        var coding: ContentCoding
        /// Whether the request asked for padding (cached only when padding adds no rows).
        var addPadding: Bool
    }

    private struct Entry {
        let key: Key
        let answer: Answer
        var referenced = false
    }

    private struct State {
        var slots: [Entry?] = []
        var slotOfKey: [Key: Int] = [:]
        var free: [Int] = []
        var hand = 0
        var bytes = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The bytes cached now.
    var bytes: Int { state.withLock { $0.bytes } }

    func answer(for key: Key, make: () -> Answer) -> Answer {
        guard capacity > 0 else { return make() }
        let cached: Answer? = state.withLock { state in
            guard let slot = state.slotOfKey[key] else { return nil }
            state.slots[slot]!.referenced = true
            return state.slots[slot]!.answer
        }
        if let cached { return cached }
        let answer = make()
        let size = Self.size(of: answer)
        guard size <= capacity else { return answer }
        state.withLock { state in
            guard state.slotOfKey[key] == nil else { return }  // made at once on another thread
            while state.bytes + size > capacity { evictOne(&state) }
            let entry = Entry(key: key, answer: answer)
            let slot: Int
            if let reused = state.free.popLast() {
                slot = reused
                state.slots[slot] = entry
            } else {
                slot = state.slots.count
                state.slots.append(entry)
            }
            state.slotOfKey[key] = slot
            state.bytes += size
        }
        return answer
    }

    /// Advances the hand to the first entry not asked for since it last passed, clearing
    /// the marks of those that were, and evicts it.
    private func evictOne(_ state: inout State) {
        while true {
            if state.hand >= state.slots.count { state.hand = 0 }
            let slot = state.hand
            state.hand += 1
            guard let entry = state.slots[slot] else { continue }
            if entry.referenced {
                state.slots[slot]!.referenced = false
                continue
            }
            state.slots[slot] = nil
            state.slotOfKey[entry.key] = nil
            state.free.append(slot)
            state.bytes -= Self.size(of: entry.answer)
            return
        }
    }

    private static func size(of answer: Answer) -> Int {
        answer.body.capacity + answer.encodedHead.capacity
    }
}
