import BlockingWork
import BreachHash
import BreachIndex
import Foundation
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The indexes a server answers from, swapped whole on reload.
///
/// A request takes one ``Snapshot`` and uses it to the end, so a reload never mixes
/// two indexes in one answer; the old index is closed (its map released) when the
/// last request holding it finishes, by reference counting.
///
/// Opening an index checks its structure only, so a server answers at once; the chunk
/// checksums of the indexes it starts with are verified in the background, at the lowest
/// CPU priority, while they are served (``IndexIntegrity``), and those of a reload's new
/// indexes before they are swapped in, so that a damaged file never replaces a good one
/// (at normal priority: a reload on a busy node must still end).
public final class ServedIndexes: Sendable {
    public struct Snapshot: Sendable {
        public let sha1: BreachIndex
        public let ntlm: BreachIndex?
        public let loadedAt: Date
        /// The checksum verification of each index, SHA-1 first.
        public let integrity: [IndexIntegrity]
    }

    public let sha1Path: String
    public let ntlmPath: String?
    private let logger: Logger
    /// A pause after each chunk verified in the background: none but in tests.
    private let verificationPause: Duration
    /// The snapshot served and the number of the reload that swapped it in.
    private let current: Mutex<(snapshot: Snapshot, reload: Int)>
    private let reloadsStarted = Atomic(0)

    /// Opens the indexes and checks their structure; throws if either is missing, of the
    /// wrong hash kind, cut off or malformed. Their checksums are then verified in the
    /// background, on a thread at the lowest priority, while they are served.
    public convenience init(sha1Path: String, ntlmPath: String?, logger: Logger = Logger(label: "breachdb")) throws {
        try self.init(sha1Path: sha1Path, ntlmPath: ntlmPath, logger: logger, verificationPause: .zero)
    }

    init(sha1Path: String, ntlmPath: String?, logger: Logger, verificationPause: Duration) throws {
        self.sha1Path = sha1Path
        self.ntlmPath = ntlmPath
        self.logger = logger
        self.verificationPause = verificationPause
        let snapshot = try Self.load(sha1Path: sha1Path, ntlmPath: ntlmPath)
        current = Mutex((snapshot, 0))
        verifyInBackground(snapshot)
    }

    deinit {
        for integrity in snapshot.integrity { integrity.stop() }
    }

    public var snapshot: Snapshot { current.withLock { $0.snapshot } }

    /// Opens the files at the configured paths, verifies their structure and every chunk
    /// checksum (on a thread off the cooperative pool) and swaps them in. On any failure the indexes
    /// being served stay in place and the error is thrown. A reload that finishes after a
    /// later one has swapped its files in leaves those in place.
    @discardableResult
    public func reload() async throws -> Snapshot {
        let ticket = reloadsStarted.add(1, ordering: .relaxed).newValue
        let sha1Path = sha1Path, ntlmPath = ntlmPath
        let fresh: Snapshot
        do {
            fresh = try await Self.reloading.run {
                let candidate = try Self.load(sha1Path: sha1Path, ntlmPath: ntlmPath)
                for integrity in candidate.integrity {
                    integrity.verify()
                    if case .damaged(let problems) = integrity.status {
                        throw IndexError.corrupt(path: integrity.index.path, detail: problems.joined(separator: "; "))
                    }
                }
                return candidate
            }
        } catch {
            VerificationMetrics.recordReload(swapped: false)
            throw error
        }
        let swapped = current.withLock { current in
            guard ticket > current.reload else { return false }
            // Under the lock, so that the gauges follow the swaps in order: the replaced
            // generation (its verification perhaps still under way) stops publishing before
            // the new one publishes, and a swap overtaken by a later one publishes nothing.
            for integrity in current.snapshot.integrity { integrity.stop() }
            current = (fresh, ticket)
            for integrity in fresh.integrity { integrity.publish() }
            return true
        }
        guard swapped else { return snapshot }
        VerificationMetrics.recordReload(swapped: true)
        return fresh
    }

    private func verifyInBackground(_ snapshot: Snapshot) {
        for integrity in snapshot.integrity { integrity.publish() }
        let logger = logger, pause = verificationPause
        Self.verifying.start {
            for integrity in snapshot.integrity {
                let path = integrity.index.path
                let started = Date(), startedCPU = threadCPUSeconds
                let finished = integrity.verify(pause: pause) { problem in
                    logger.error(
                        "the served index is damaged; /readyz answers 503 until a good file replaces it",
                        metadata: ["index": "\(path)", "problem": "\(problem)"])
                }
                guard finished else { return }
                if integrity.status == .intact {
                    logger.info(
                        "verified the served index's checksums",
                        metadata: [
                            "index": "\(path)",
                            "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
                            "cpu-seconds": "\(String(format: "%.2f", threadCPUSeconds - startedCPU))",
                        ])
                }
            }
        }
    }

    /// Where reloads open and verify their files, at normal priority: a reload on a busy
    /// node must still end. One thread a core, as many reloads as can run at once.
    private static let reloading = BlockingWorkPool(numberOfThreads: System.coreCount)
    /// Where the served indexes' checksums are verified, at the lowest priority.
    private static let verifying = BlockingWorkPool(numberOfThreads: System.coreCount, priority: .lowest)

    private static func load(sha1Path: String, ntlmPath: String?) throws -> Snapshot {
        let sha1 = try open(sha1Path, kind: .sha1)
        let ntlm = try ntlmPath.map { try open($0, kind: .ntlm) }
        return Snapshot(
            sha1: sha1, ntlm: ntlm, loadedAt: Date(),
            integrity: [sha1, ntlm].compactMap { $0 }.map(IndexIntegrity.init))
    }

    private static func open(_ path: String, kind: HashKind) throws -> BreachIndex {
        let index = try BreachIndex(path: path, hugePages: true)
        guard index.kind == kind else {
            throw IndexError.notAnIndex(
                path: path, reason: "it holds \(index.kind.rawValue) hashes, \(kind.rawValue) expected")
        }
        return index
    }
}

/// CPU seconds the calling thread has used, to state what a verification costs.
private var threadCPUSeconds: Double {
    var usage = rusage()
    // RUSAGE_THREAD (1), which Glibc declares for _GNU_SOURCE only.
    _ = getrusage(__rusage_who_t(1), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
        usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
