import BlockingWork
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct BlockingWorkPoolTests {
    /// The calling thread's nice value (`who` 0: the calling thread on Linux).
    static func niceness() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    @Test func runReturnsTheResultOfTheWork() async throws {
        let pool = BlockingWorkPool(numberOfThreads: 1)
        #expect(try await pool.run { (1...10).reduce(0, +) } == 55)
    }

    @Test func runRethrowsTheErrorOfTheWork() async throws {
        struct Refused: Error {}
        let pool = BlockingWorkPool(numberOfThreads: 1)
        await #expect(throws: Refused.self) { try await pool.run { throw Refused() } }
    }

    @Test func workRunsOffTheCallersThread() async throws {
        let pool = BlockingWorkPool(numberOfThreads: 1)
        let caller = pthread_self()
        let worker = try await pool.run { pthread_self() }
        #expect(worker != caller)
    }

    @Test func theThreadsRunAtMostThatManyAtOnce() async throws {
        final class Running: Sendable { let count = Mutex((now: 0, most: 0)) }
        let pool = BlockingWorkPool(numberOfThreads: 2), running = Running()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.run {
                        running.count.withLock {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                        }
                        Thread.sleep(forTimeInterval: 0.05)
                        running.count.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.count.withLock { $0.most } == 2)
    }

    @Test func aLowestPriorityPoolRunsAtNiceNineteenAndLeavesTheCallerAlone() async throws {
        let before = Self.niceness()
        let pool = BlockingWorkPool(numberOfThreads: 1, priority: .lowest)
        #expect(try await pool.run { Self.niceness() } == 19)
        #expect(Self.niceness() == before)
    }

    @Test func aNormalPoolKeepsTheProcessPriority() async throws {
        let pool = BlockingWorkPool(numberOfThreads: 1)
        #expect(try await pool.run { Self.niceness() } == Self.niceness())
    }

    @Test func startRunsTheWorkWithoutWaitingForIt() async throws {
        let pool = BlockingWorkPool(numberOfThreads: 1)
        let release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        pool.start {
            release.wait()
            done.signal()
        }
        // start returned while the work is still held: it did not wait for it.
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}
