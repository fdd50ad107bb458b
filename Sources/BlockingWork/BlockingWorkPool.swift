import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Threads for work that holds one for long — an Argon2id hash, opening and verifying an
/// index — so that it holds neither Swift's cooperative pool (a few threads, one a core)
/// nor NIO's event loops: the one way this package moves work off them.
///
/// It is swift-nio's `NIOThreadPool` and its `runIfActive`, rather than a continuation
/// resumed from a thread of our own: the awaiting task suspends without holding a thread,
/// a cancelled task's queued work is dropped, the number of threads is fixed (a burst
/// queues rather than growing threads and memory), and it is what swift-nio's own
/// blocking work runs on, already in every process that serves.
public final class BlockingWorkPool: Sendable {
    /// How the pool's threads compete with the request threads for the cores.
    public enum Priority: Sendable {
        /// As they do: the work takes a bounded time on a busy node (someone waits for it).
        case normal
        /// The lowest CPU priority (nice 19; Linux sets it per thread, so the request
        /// threads keep theirs): on a busy node the work takes longer rather than taking
        /// their time (no one waits for it).
        case lowest
    }

    public let priority: Priority
    private let pool: NIOThreadPool

    /// Starts `numberOfThreads` threads; they stop when the pool is released, work still
    /// queued then failing with `CancellationError`.
    public init(numberOfThreads: Int, priority: Priority = .normal) {
        precondition(numberOfThreads > 0, "a pool needs a thread")
        self.priority = priority
        pool = NIOThreadPool(numberOfThreads: numberOfThreads)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Runs `work` on one of the pool's threads and returns its result (or rethrows its
    /// error); the calling task waits suspended.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        let priority = priority
        return try await pool.runIfActive {
            Self.apply(priority)
            return try work()
        }
    }

    /// Starts `work` on one of the pool's threads without waiting for it.
    public func start(_ work: @escaping @Sendable () -> Void) {
        let priority = priority
        pool.submit { state in
            guard case .active = state else { return }
            Self.apply(priority)
            work()
        }
    }

    /// Sets the calling (pool) thread's priority; every thread of a pool has the same one.
    private static func apply(_ priority: Priority) {
        // `who` 0 is the calling thread on Linux; lowering its priority again is a no-op.
        if priority == .lowest { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) }
    }
}
