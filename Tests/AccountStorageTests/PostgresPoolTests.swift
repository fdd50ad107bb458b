import AccountTestSupport
import Logging
import Synchronization
import Testing

@testable import AccountStorage

@Suite("The PostgreSQL pool as a service", .enabled(if: StoreKind.postgresURL != nil))
struct PostgresPoolTests {
    @Test("A query made before the pool runs waits for run(): the pool never sees it early")
    func queryWaitsForRun() async throws {
        let warnings = CapturedWarnings()
        let database = try PostgresDatabase(
            url: try #require(StoreKind.postgresURL), logger: Logger(label: "test") { _ in warnings })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await database.transaction { try await $0.query("SELECT 1", []) } }
            // The query is held at the gate before the pool runs (without the gate it would
            // have reached the pool here and been warned about).
            let deadline = ContinuousClock.now + .seconds(10)
            while database.running.waiting == 0 {
                guard ContinuousClock.now < deadline else {
                    Issue.record("the query never waited for the pool to run")
                    break
                }
                await Task.yield()
            }
            group.addTask { await database.run() }
            try await group.next()
            group.cancelAll()
        }
        #expect(warnings.messages.isEmpty, "\(warnings.messages)")
    }
}

/// The warnings (and worse) a logger was given.
private final class CapturedWarnings: LogHandler, Sendable {
    private let captured = Mutex<[String]>([])
    var messages: [String] { captured.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .warning }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        captured.withLock { $0.append("\(event.message)") }
    }
}
