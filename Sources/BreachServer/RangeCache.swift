import Hummingbird
import NIOCore
import Synchronization

/// Finished range bodies, so a prefix asked for again is served from memory, as a
/// static-file server would, instead of being decoded and formatted again. Keyed by
/// index generation, so a reload never serves a stale body. Bounded in bytes; when
/// full, it is emptied and refills with what is asked for next (simple, and the
/// working set of popular prefixes comes back within requests).
final class RangeCache: Sendable {
    struct Key: Hashable {
        var generation: String
        var kind: String
        var prefix: Int
        var gzip: Bool
    }

    private let state = Mutex<(bodies: [Key: ByteBuffer], bytes: Int)>(([:], 0))
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func body(for key: Key, make: () -> ByteBuffer) -> ByteBuffer {
        if let cached = state.withLock({ $0.bodies[key] }) { return cached }
        let body = make()
        state.withLock { state in
            if state.bytes + body.readableBytes > capacity {
                state = ([:], 0)
            }
            if body.readableBytes <= capacity {
                state.bodies[key] = body
                state.bytes += body.readableBytes
            }
        }
        return body
    }
}
