import ServiceLifecycle
import Synchronization
import Testing

@testable import AccountStorage

/// The PostgreSQL databases that fixtures made during one test, their pools running for
/// the test, dropped when the test ends however it ends. `AccountFixture.close()` drops
/// its own; a test that fails before it (a thrown error, a failed `#require`) would otherwise leave an
/// `accounts_<number>` database on the server for every failure.
public final class TestDatabases: Sendable {
    @TaskLocal public static var current: TestDatabases?
    /// Made and not yet dropped, with the store open on each (nil before it opened).
    private let remaining = Mutex<[String: SQLAccountStore?]>([:])
    /// The pools of the test's PostgreSQL stores, run as child tasks of the test's scope.
    private let services: AsyncStream<any Service>
    private let newService: AsyncStream<any Service>.Continuation

    init() { (services, newService) = AsyncStream.makeStream() }

    public func run(_ service: any Service) { newService.yield(service) }

    fileprivate func runServices() async {
        await withDiscardingTaskGroup { group in
            for await service in services {
                group.addTask { try? await service.run() }
            }
        }
    }

    public func made(_ name: String, store: SQLAccountStore? = nil) { remaining.withLock { $0[name] = .some(store) } }
    public func dropped(_ name: String) { _ = remaining.withLock { $0.removeValue(forKey: name) } }

    fileprivate func dropRemaining() async {
        for (name, store) in remaining.withLock({ $0 }) {
            try? await store?.close()
            try? await AccountFixture.dropDatabase(name)
        }
    }
}

/// Runs each test with its own ``TestDatabases`` and drops what it left.
public struct DropsTestDatabases: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    )
        async throws
    {
        let databases = TestDatabases()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await databases.runServices() }
            defer { group.cancelAll() }
            do {
                try await TestDatabases.$current.withValue(databases) { try await function() }
            } catch {
                await databases.dropRemaining()
                throw error
            }
            await databases.dropRemaining()
        }
    }
}

extension Trait where Self == DropsTestDatabases {
    public static var dropsTestDatabases: Self { Self() }
}

extension Trait where Self == TimeLimitTrait {
    /// A test that waits for ever (on a store, a pool or the mail sink) is reported by name;
    /// a wait that ignores cancellation still holds the run, and a stall of the whole process
    /// is beyond it (tools/test.sh bounds both). Generous: the slowest tests take minutes on a
    /// loaded 2-core machine, set-up and drop of their databases included.
    public static var accountTestTimeLimit: Self { .timeLimit(.minutes(5)) }
}
