import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Long work beside the answers (checksum verification): a thread of its own, off Swift's
/// cooperative pool and NIO's event loops, which it would otherwise hold for seconds.
enum BackgroundThread {
    /// How the thread competes with the request threads for the cores.
    enum Priority {
        /// As they do: the work takes a bounded time on a busy node (a reload waits for it).
        case normal
        /// The lowest CPU priority (nice 19; Linux sets it per thread, so the request
        /// threads keep theirs): on a busy node the work takes longer rather than taking
        /// their time (no one waits for it).
        case lowest
    }

    static func start(name: String, priority: Priority, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread {
            // `who` 0 is the calling thread on Linux.
            if priority == .lowest { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) }
            work()
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on such a thread and waits for its result without holding a thread.
    static func run<Result: Sendable>(
        name: String, priority: Priority,
        _ work: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            start(name: name, priority: priority) { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    /// CPU seconds the calling thread has used, to state what a verification costs.
    static var cpuSeconds: Double {
        var usage = rusage()
        // RUSAGE_THREAD (1), which Glibc declares for _GNU_SOURCE only.
        _ = getrusage(__rusage_who_t(1), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
            usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
