import BreachCheck
import Foundation
import Logging

/// B1, B2, B4: which passwords are accepted, wherever one is chosen (activation, reset,
/// change, an administrator's). NIST 800-63B: a length, no composition rules, and not
/// found in the breach data.
struct PasswordPolicy: Sendable {
    let breachChecker: any BreachChecker
    let configuration: AccountConfiguration
    let logger: Logger

    /// Length (NIST 800-63B, no composition rules) and the breach check (B1, B2, B4),
    /// refusing with the rule's own error.
    func requireAcceptable(_ password: String, refusal: AccountError) async throws {
        let length = Self.normalized(password).count
        guard length >= configuration.minimumPasswordLength else {
            throw AccountError.passwordTooShort(minimum: configuration.minimumPasswordLength)
        }
        guard length <= configuration.maximumPasswordLength else {
            throw AccountError.passwordTooLong(maximum: configuration.maximumPasswordLength)
        }
        if try await isBreached(password) { throw refusal }
    }

    /// Whether the breach data holds the password more than the threshold allows; a
    /// checker that cannot answer fails open or closed as configured. Not moved to the
    /// Argon2 thread pool: the local checker reads the memory-mapped index in about a
    /// microsecond (the lookup `/v1/check` makes on the event loop), the remote one is
    /// non-blocking HTTP, and a hop to the pool would cost more than either.
    func isBreached(_ password: String) async throws -> Bool {
        do {
            return try await breachCount(password) > configuration.breachThreshold
        } catch {
            logger.warning(
                "breach check unavailable",
                metadata: ["error": "\(error)", "failOpen": "\(configuration.breachCheckFailOpen)"])
            guard configuration.breachCheckFailOpen else { throw AccountError.breachCheckUnavailable }
            return false
        }
    }

    /// How often the password was breached: the form it is hashed and compared in (NFKC),
    /// which is the password the account really has — a full-width `ｐａｓｓｗｏｒｄ` is
    /// `password` — and, where it differs, the form as typed, which is what breach
    /// lists hold for keyboards that type it.
    func breachCount(_ password: String) async throws -> UInt64 {
        let normalized = Self.normalized(password)
        let count = try await breachChecker.breachCount(ofPassword: normalized)
        return normalized == password ? count : max(count, try await breachChecker.breachCount(ofPassword: password))
    }

    /// NIST 800-63B: passwords are compared after Unicode NFKC normalisation.
    static func normalized(_ password: String) -> String { password.precomposedStringWithCompatibilityMapping }
}
