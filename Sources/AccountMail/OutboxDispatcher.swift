import Accounts
import BreachSupport
import Foundation
import Logging
import ServiceLifecycle

/// Delivers the outbox (R8): claims due messages, sends each, and records the
/// outcome. A failed send is retried with growing delays, so a mail server that is
/// down loses nothing. A message is marked sent right after the server accepted it;
/// only a crash in between those two steps can send it again, and then with the same
/// `Message-ID`, which lets the receiving side drop the copy.
public struct OutboxDispatcher: Service {
    public var pollInterval: Duration = .seconds(1)
    /// How long a claimed message is left to this dispatcher before another may take it.
    public var lease: Duration = .seconds(120)
    /// The first retry delay, doubled per attempt up to `maximumRetryDelay`.
    public var firstRetryDelay: Duration = .seconds(30)
    public var maximumRetryDelay: Duration = .seconds(3600)
    public var batchSize = 20

    let outbox: any OutboxStore
    let email: any MessageTransport
    let sms: (any MessageTransport)?
    let clock: any AccountClock
    let logger: Logger

    public init(
        outbox: any OutboxStore, email: any MessageTransport, sms: (any MessageTransport)?,
        clock: any AccountClock = SystemClock(), logger: Logger = Logger(label: "breachdb.outbox")
    ) {
        self.outbox = outbox
        self.email = email
        self.sms = sms
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await dispatchDueMessages()
            } catch {
                logger.error("outbox: \(error)")
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// One pass: sends what is due now. Returns how many were delivered.
    @discardableResult
    public func dispatchDueMessages() async throws -> Int {
        var delivered = 0
        while true {
            let now = clock.now()
            let batch = try await outbox.claimDueMessages(now: now, lease: lease, limit: batchSize)
            if batch.isEmpty { return delivered }
            for message in batch {
                do {
                    guard let transport = message.channel == .sms ? sms : email else {
                        throw DeliveryError("no SMS gateway is configured")
                    }
                    try await transport.deliver(message)
                    try await outbox.markSent(messageID: message.id, at: clock.now())
                    delivered += 1
                    logger.info(
                        "outbox: delivered",
                        metadata: ["message": "\(message.id)", "channel": "\(message.channel.rawValue)"])
                } catch {
                    let delay = min(
                        firstRetryDelay.timeInterval * pow(2, Double(min(message.attempts, 30))),
                        maximumRetryDelay.timeInterval)
                    try await outbox.markFailed(
                        messageID: message.id, error: "\(error)", retryAt: clock.now().addingTimeInterval(delay))
                    logger.warning(
                        "outbox: delivery failed, will retry",
                        metadata: [
                            "message": "\(message.id)", "attempt": "\(message.attempts + 1)",
                            "retryInSeconds": "\(Int(delay))", "error": "\(error)",
                        ])
                }
            }
            if batch.count < batchSize { return delivered }
        }
    }
}
