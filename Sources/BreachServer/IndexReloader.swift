import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the served indexes when their files are replaced (an ingest renames a new
/// index over the old path) or on SIGHUP. A file that cannot be opened or fails a
/// check (structure, then every chunk checksum, off the cooperative pool) is refused
/// with a log line; the old index keeps serving.
public struct IndexReloader: Service {
    let indexes: ServedIndexes
    /// How often to look for a replaced file; `nil`: on SIGHUP only.
    let interval: Duration?
    let logger: Logger

    public init(indexes: ServedIndexes, interval: Duration?, logger: Logger) {
        self.indexes = indexes
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let indexes = indexes, interval = interval, logger = logger
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { await Self.reload(indexes, reason: "SIGHUP", logger: logger) }
                }
                if let interval {
                    group.addTask {
                        var seen = Self.identity(of: indexes)
                        while !Task.isCancelled {
                            try? await Task.sleep(for: interval)
                            let now = Self.identity(of: indexes)
                            if now != seen {
                                seen = now
                                await Self.reload(indexes, reason: "index file replaced", logger: logger)
                            }
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    static func reload(_ indexes: ServedIndexes, reason: String, logger: Logger) async {
        do {
            let snapshot = try await indexes.reload()
            ServerMetrics.record(snapshot)
            logger.info(
                "reloaded the index",
                metadata: [
                    "reason": "\(reason)", "generation": "\(snapshot.sha1.metadata.generation)",
                    "hashes": "\(snapshot.sha1.metadata.hashCount)",
                ])
        } catch {
            logger.error(
                "refused a new index; still serving the old one",
                metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }

    /// Device, inode, size and modification time of each served path.
    static func identity(of indexes: ServedIndexes) -> [String] {
        [indexes.sha1Path, indexes.ntlmPath].compactMap { $0 }.map { path in
            var status = stat()
            guard stat(path, &status) == 0 else { return "\(path): missing" }
            return
                "\(status.st_dev):\(status.st_ino):\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
        }
    }
}
