import BreachIndex
import Foundation
import Synchronization
import BreachHash

/// The indexes a server answers from, swapped whole on reload.
///
/// A request takes one ``Snapshot`` and uses it to the end, so a reload never mixes
/// two indexes in one answer; the old index is closed (its map released) when the
/// last request holding it finishes, by reference counting.
public final class ServedIndexes: Sendable {
    public struct Snapshot: Sendable {
        public let sha1: BreachIndex
        public let ntlm: BreachIndex?
        public let loadedAt: Date
    }

    public let sha1Path: String
    public let ntlmPath: String?
    private let current: Mutex<Snapshot>

    /// Opens and verifies the indexes; throws if either is missing, of the wrong hash
    /// kind, or fails verification.
    public init(sha1Path: String, ntlmPath: String?) throws {
        self.sha1Path = sha1Path
        self.ntlmPath = ntlmPath
        current = Mutex(try Self.load(sha1Path: sha1Path, ntlmPath: ntlmPath))
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    /// Opens and verifies the files at the configured paths and swaps them in. On any
    /// failure the indexes being served stay in place and the error is thrown.
    @discardableResult
    public func reload() throws -> Snapshot {
        let fresh = try Self.load(sha1Path: sha1Path, ntlmPath: ntlmPath)
        current.withLock { $0 = fresh }
        return fresh
    }

    private static func load(sha1Path: String, ntlmPath: String?) throws -> Snapshot {
        let sha1 = try open(sha1Path, kind: .sha1)
        let ntlm = try ntlmPath.map { try open($0, kind: .ntlm) }
        return Snapshot(sha1: sha1, ntlm: ntlm, loadedAt: Date())
    }

    private static func open(_ path: String, kind: HashKind) throws -> BreachIndex {
        let index = try BreachIndex(path: path)
        guard index.kind == kind else {
            throw IndexError.notAnIndex(path: path, reason: "it holds \(index.kind.rawValue) hashes, \(kind.rawValue) expected")
        }
        let verification = index.verify()
        guard verification.isIntact else {
            throw IndexError.corrupt(path: path, detail: verification.problems.first ?? "verification failed")
        }
        return index
    }
}
