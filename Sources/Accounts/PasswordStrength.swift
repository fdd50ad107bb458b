import Foundation

/// A3: how strong a password looks while it is being chosen, with the reasons, so the
/// page can advise a strong one. A breached password is always weak.
public struct PasswordStrength: Sendable, Equatable, Codable {
    public enum Level: String, Sendable, Codable {
        case weak, fair, strong
    }

    public var level: Level
    /// Why it is not stronger, in words for the user; empty for a strong password.
    public var reasons: [String]
    /// Times the password appears in breach data (nil if the check could not answer).
    public var breachCount: UInt64?

    public init(level: Level, reasons: [String], breachCount: UInt64?) {
        self.level = level
        self.reasons = reasons
        self.breachCount = breachCount
    }

    /// Rates without composition rules (NIST 800-63B): length counts most; repeats,
    /// runs and a single kind of character count against; breached means weak.
    static func estimate(_ password: String, breachCount: UInt64?, breached: Bool, minimumLength: Int)
        -> PasswordStrength
    {
        var reasons: [String] = []
        let characters = Array(password)
        if breached {
            reasons.append("It has appeared in data breaches, so attackers try it first.")
        }
        if characters.count < minimumLength {
            reasons.append("It is shorter than \(minimumLength) characters.")
        }
        let distinct = Set(characters).count
        if !characters.isEmpty, distinct * 3 <= characters.count {
            reasons.append("It repeats the same few characters.")
        }
        if hasRun(characters) {
            reasons.append("It contains a run such as 1234 or abcd.")
        }
        let kinds =
            [\Character.isLowercase, \.isUppercase, \.isNumber].filter { kind in
                characters.contains { $0[keyPath: kind] }
            }.count
            + (characters.contains { !$0.isLetter && !$0.isNumber } ? 1 : 0)

        let level: Level
        if breached || characters.count < minimumLength || distinct < 4 {
            level = .weak
        } else if characters.count >= 15 && reasons.isEmpty {
            level = .strong
        } else if characters.count >= 12 && kinds >= 3 && reasons.isEmpty {
            level = .strong
        } else {
            level = .fair
            if characters.count < 15 {
                reasons.append("Longer is stronger: 15 characters or more, for example a few unrelated words.")
            }
        }
        return PasswordStrength(level: level, reasons: level == .strong ? [] : reasons, breachCount: breachCount)
    }

    /// Four or more characters in a row that go up or down by one (1234, dcba).
    private static func hasRun(_ characters: [Character]) -> Bool {
        let values = characters.map { $0.unicodeScalars.first.map { Int($0.value) } ?? 0 }
        var length = 1, step = 0
        for i in values.indices.dropFirst() {
            let difference = values[i] - values[i - 1]
            if abs(difference) == 1 && (length == 1 || difference == step) {
                length += 1
                step = difference
                if length >= 4 { return true }
            } else {
                length = abs(difference) == 1 ? 2 : 1
                step = difference
            }
        }
        return false
    }
}
