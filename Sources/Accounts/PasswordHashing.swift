import BlockingWork
import CArgon2
import Foundation
import NIOCore
import Synchronization

/// Argon2id cost parameters. The default is OWASP's recommendation for Argon2id:
/// m = 19 MiB, t = 2, p = 1.
public struct Argon2Parameters: Sendable, Equatable {
    /// Memory in KiB.
    public var memoryKiB: UInt32
    public var iterations: UInt32
    public var parallelism: UInt32

    public init(memoryKiB: UInt32 = 19 * 1024, iterations: UInt32 = 2, parallelism: UInt32 = 1) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    public static let owasp = Argon2Parameters()
}

/// Argon2id password hashes in the PHC string format
/// (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`), which carries its own parameters, so
/// hashes made under older settings still verify and can be upgraded.
public struct PasswordHashing: Sendable {
    public let parameters: Argon2Parameters
    /// Hashes queued or running at most (in the process); past it a new one is refused
    /// with ``AccountError/busy(retryAfterSeconds:)`` rather than queued behind seconds of work.
    public let queueLimit: Int
    private let random: any SecureRandomSource
    static let saltLength = 16
    static let hashLength = 32

    /// Sixteen hashes per core: at tens of milliseconds each, the last waits under a second.
    public static let defaultQueueLimit = System.coreCount * 16

    public init(
        parameters: Argon2Parameters = .owasp, queueLimit: Int = defaultQueueLimit,
        random: any SecureRandomSource = SystemRandomSource()
    ) {
        self.parameters = parameters
        self.queueLimit = queueLimit
        self.random = random
    }

    /// Hashes off the cooperative thread pool, on a bounded one of its own: one hash
    /// takes tens of milliseconds and would otherwise stall every other task.
    public func hash(_ password: String) async throws -> String {
        let salt = random.bytes(count: Self.saltLength)
        let parameters = parameters
        return try await offload { try Self.encode(password, salt: salt, parameters: parameters) }
    }

    /// Whether `password` matches `encoded`; false for a malformed hash. Throws only when
    /// the work cannot be queued (busy), which checked nothing.
    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        try await offload {
            let bytes = Array(password.utf8)
            return argon2id_verify(encoded, bytes, bytes.count) == ARGON2_OK.rawValue
        }
    }

    /// True when `encoded` was made with other parameters than the configured ones.
    public func needsUpgrade(_ encoded: String) -> Bool {
        Self.parameters(of: encoded) != parameters
    }

    /// The parameters written in a PHC string, or nil if it is not Argon2id.
    static func parameters(of encoded: String) -> Argon2Parameters? {
        let fields = encoded.split(separator: "$")
        guard fields.count == 5, fields[0] == "argon2id" else { return nil }
        var values: [Substring: UInt32] = [:]
        for pair in fields[2].split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = UInt32(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    private static func encode(_ password: String, salt: [UInt8], parameters: Argon2Parameters) throws -> String {
        let bytes = Array(password.utf8)
        let length = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let status = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            bytes, bytes.count, salt, salt.count, hashLength, &encoded, length)
        guard status == ARGON2_OK.rawValue else {
            throw PasswordHashingError(reason: String(cString: argon2_error_message(status)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One thread per core: each hash holds `memoryKiB` while it runs, so a burst of
    /// sign-ins queues here instead of growing threads (and memory) without bound.
    private static let pool = BlockingWorkPool(numberOfThreads: System.coreCount)

    private static let queued = Atomic<Int>(0)

    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard Self.queued.wrappingAdd(1, ordering: .relaxed).newValue <= queueLimit else {
            Self.queued.wrappingSubtract(1, ordering: .relaxed)
            throw AccountError.busy(retryAfterSeconds: 1)
        }
        defer { Self.queued.wrappingSubtract(1, ordering: .relaxed) }
        return try await Self.pool.run(work)
    }
}

/// Argon2 refused the parameters (for example less memory than 8 KiB per lane).
public struct PasswordHashingError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "Argon2id: \(reason)" }
}
