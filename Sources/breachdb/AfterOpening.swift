import ServiceLifecycle

/// Runs `service` once `open` returned: the outbox dispatcher waits for the account
/// store's schema, which is brought up to date only once the database pool runs.
struct AfterOpening: Service {
    let open: @Sendable () async throws -> Void
    let service: any Service

    func run() async throws {
        try await open()
        try await service.run()
    }
}
