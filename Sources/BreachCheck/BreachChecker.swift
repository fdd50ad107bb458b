/// Answers "how often has this password appeared in a breach?".
///
/// The account module asks through this protocol so that it runs the same on a
/// local index (``LocalBreachChecker``) or a remote range API (``RemoteBreachChecker``).
public protocol BreachChecker: Sendable {
    /// How many times `password` appears in the breach data; 0 when it does not.
    /// Throws when the answer cannot be had (an unreachable server, a timeout).
    func breachCount(ofPassword password: String) async throws -> UInt64
}
