import BreachHash
import NIOCore
import Synchronization

/// Finished range answers, so a prefix asked for again is served from memory, as a
/// static-file server would, instead of being decoded and formatted again. Keyed by
/// index generation, so a reload never serves a stale answer. Bounded in bytes (bodies
/// and heads, as allocated; bodies copied to parts sized for them, `keptParts`); when full, CLOCK eviction
/// (second chance) picks a victim, and TinyLFU admission (Einziger, Friedman and Manes,
/// 2017) keeps it unless the newcomer has been asked for more often, by a small sketch of
/// recent frequencies: a long tail of prefixes asked for once each passes through without
/// pushing out the popular prefixes of real traffic.
final class RangeCache: Sendable {
    /// What a cached answer's bytes depend on. Not padding: cached answers are those padding
    /// leaves as they are (1,000 rows or more) and those padded unasked (an empty range),
    /// one copy whether the request asked for padding or not.
    struct Key: Hashable {
        var generation: String
        var kind: HashKind
        var prefix: Int
        var coding: ContentCoding
    }

    private struct Entry {
        let key: Key
        let answer: Answer
        /// `answer` with its digest field (RFC 9530), once a request asked for it: the same
        /// body, a head of its own.
        var digested: Answer?
        var referenced = false

        /// The bytes it holds: the body once, and each head.
        var size: Int { RangeCache.size(of: answer) + (digested?.encodedHead.capacity ?? 0) }
    }

    private struct State {
        var frequencies: FrequencySketch
        var slots: [Entry?] = []
        var slotOfKey: [Key: Int] = [:]
        var free: [Int] = []
        var hand = 0
        var bytes = 0
        /// The generation last cached for each kind of hash.
        var generations: [HashKind: String] = [:]
        /// Generations replaced lately, and when: a request still answering from one is
        /// served but not cached, so that it does not purge the new index's answers.
        var replaced: [String: ContinuousClock.Instant] = [:]
    }

    private let state: Mutex<State>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        // About a counter per answer the cache can hold (≥ 16 KB each), four times over.
        state = Mutex(State(frequencies: FrequencySketch(width: max(1024, capacity >> 12))))
    }

    /// The bytes cached now.
    var bytes: Int { state.withLock { $0.bytes } }

    /// The answer for `key`: the cached one, or one `make` makes, cached if admitted. With
    /// `digesting`, that answer as `digesting` turns it (with its `Repr-Digest`), made once
    /// per cached answer and kept beside it: a replica's refresh asks for the digest of every
    /// range it fetches, and several replicas ask for the same ranges.
    func answer(for key: Key, digesting: ((Answer) -> Answer)? = nil, make: () -> Answer) -> Answer {
        let (answer, digested) = plainAnswer(for: key, make: make)
        guard let digesting else { return answer }
        if let digested { return digested }
        let made = digesting(answer)
        guard capacity > 0 else { return made }
        let head = made.encodedHead.capacity
        state.withLock { state in
            // Kept only beside the very answer it digests (another thread may have cached its
            // own copy of the key meanwhile, whose body this one would hold a second time),
            // and only once.
            guard let slot = state.slotOfKey[key], state.slots[slot]!.digested == nil,
                Self.sharesBody(state.slots[slot]!.answer, made), Self.size(of: answer) + head <= capacity
            else { return }
            // Room for the head as for an answer: victims by the hand, each given up only to a
            // key asked for more often (admission), never this entry (marked so that the hand
            // passes it; marked again when a lap has cleared every mark, with others left).
            state.slots[slot]!.referenced = true
            while state.bytes + head > capacity {
                let victim = selectVictim(&state)
                if victim == slot {
                    if state.slotOfKey.count == 1 { return }
                    state.slots[slot]!.referenced = true
                    continue
                }
                guard
                    state.frequencies.estimate(key.hashValue)
                        > state.frequencies.estimate(state.slots[victim]!.key.hashValue)
                else { return }
                remove(victim, &state)
            }
            state.slots[slot]!.digested = made
            state.bytes += head
        }
        return made
    }

    /// Whether the two answers' bodies are the same storage.
    private static func sharesBody(_ one: Answer, _ other: Answer) -> Bool {
        func start(_ answer: Answer) -> UnsafeRawPointer? {
            answer.bodyParts[0].withUnsafeReadableBytes { $0.baseAddress }
        }
        return start(one) == start(other)
    }

    /// The cached or newly made answer for `key`, with its digested form when one is cached.
    private func plainAnswer(for key: Key, make: () -> Answer) -> (Answer, digested: Answer?) {
        guard capacity > 0 else { return (make(), nil) }
        let cached: Entry? = state.withLock { state in
            state.frequencies.increment(key.hashValue)
            guard let slot = state.slotOfKey[key] else { return nil }
            state.slots[slot]!.referenced = true
            return state.slots[slot]!
        }
        if let cached { return (cached.answer, cached.digested) }
        let made = make()
        // The bytes it will hold once kept in parts, copied only once it is admitted (a few µs
        // under the lock, for the misses the admission lets in).
        let size = ByteBuffer.keptStorage(of: made.bodyByteCount) + made.encodedHead.capacity
        guard size <= capacity else { return (made, nil) }
        let kept: Answer? = state.withLock { state in
            if state.generations[key.kind] != key.generation {
                let now = ContinuousClock.now
                state.replaced = state.replaced.filter { now - $0.value < Self.replacedFor }
                if state.replaced[key.generation] != nil { return nil }
                if let current = state.generations[key.kind] { state.replaced[current] = now }
                purgeOtherGenerations(than: key, &state)
                state.generations[key.kind] = key.generation
            }
            guard state.slotOfKey[key] == nil else { return nil }  // made at once on another thread
            if state.bytes + size > capacity {
                // Admission: the newcomer displaces the first victim only if asked for more often.
                let victim = selectVictim(&state)
                guard
                    state.frequencies.estimate(key.hashValue)
                        > state.frequencies.estimate(state.slots[victim]!.key.hashValue)
                else { return nil }
                remove(victim, &state)
                while state.bytes + size > capacity { remove(selectVictim(&state), &state) }
            }
            let answer = made.keepingBody(in: made.body.keptParts)
            // Room was made for `size`; `remove` will uncount what the answer holds. The two
            // are equal while NIO sizes buffers as `keptStorage` says; if not, it is not kept.
            guard Self.size(of: answer) == size else { return nil }
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
            return answer
        }
        return (kept ?? made, nil)
    }

    /// Advances the hand to the first entry not asked for since it last passed, clearing
    /// the marks of those that were, and returns its slot.
    private func selectVictim(_ state: inout State) -> Int {
        while true {
            if state.hand >= state.slots.count { state.hand = 0 }
            let slot = state.hand
            state.hand += 1
            guard let entry = state.slots[slot] else { continue }
            if entry.referenced {
                state.slots[slot]!.referenced = false
                continue
            }
            return slot
        }
    }

    /// How long after a reload answers of the replaced index are not cached: longer than a
    /// request takes (after it, a generation seen again is an index put back, cached anew).
    static let replacedFor = Duration.seconds(120)

    /// A reload: the previous index's answers will not be asked for again, yet they would hold
    /// the cache's bytes and, having been popular, win admission against the new index's
    /// answers until the sketch forgets them. (Nothing stale is served either way: the key has
    /// the generation.)
    private func purgeOtherGenerations(than key: Key, _ state: inout State) {
        for (slot, entry) in state.slots.enumerated() {
            if let entry, entry.key.kind == key.kind, entry.key.generation != key.generation {
                remove(slot, &state)
            }
        }
    }

    private func remove(_ slot: Int, _ state: inout State) {
        let entry = state.slots[slot]!
        state.slots[slot] = nil
        state.slotOfKey[entry.key] = nil
        state.free.append(slot)
        state.bytes -= entry.size
    }

    /// The bytes `answer` holds: its body's storage and its head's.
    static func size(of answer: Answer) -> Int {
        answer.bodyParts.reduce(answer.encodedHead.capacity) { $0 + $1.capacity }
    }
}

/// How often keys were asked for lately, approximately, in little memory: a count-min sketch
/// (four counters a key, the least is the estimate) whose counters are halved once the
/// additions reach ten times its width, so old popularity fades (TinyLFU's reset).
struct FrequencySketch {
    private var counters: [UInt8]
    private let mask: Int
    private var additions = 0

    init(width: Int) {
        var size = 1
        while size < width { size <<= 1 }
        counters = [UInt8](repeating: 0, count: size * 4)
        mask = size - 1
    }

    /// The key's counter in `row` (0–3, a quarter each), from a mix of its hash of the row's own.
    private func slot(_ hash: Int, row: Int) -> Int {
        let seed: UInt64 =
            switch row {
            case 0: 0x9E37_79B9_7F4A_7C15
            case 1: 0xC2B2_AE3D_27D4_EB4F
            case 2: 0x1656_67B1_9E37_79F9
            default: 0x85EB_CA77_C2B2_AE63
            }
        let mixed = (UInt64(bitPattern: Int64(hash)) &* seed) >> 32
        return row * (mask + 1) + Int(truncatingIfNeeded: mixed) & mask
    }

    mutating func increment(_ hash: Int) {
        for row in 0..<4 where counters[slot(hash, row: row)] < 15 { counters[slot(hash, row: row)] += 1 }
        additions += 1
        if additions >= 10 * (mask + 1) {
            for slot in counters.indices { counters[slot] >>= 1 }
            additions /= 2
        }
    }

    func estimate(_ hash: Int) -> UInt8 {
        var least = UInt8.max
        for row in 0..<4 { least = min(least, counters[slot(hash, row: row)]) }
        return least
    }
}
