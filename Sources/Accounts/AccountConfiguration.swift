import Foundation

/// Every setting of the account rules, with the defaults the behaviour document and
/// NIST SP 800-63B give.
public struct AccountConfiguration: Sendable {
    /// Argon2id cost for new hashes; older hashes are upgraded at the next sign-in.
    public var argon2 = Argon2Parameters.owasp
    /// Hashes queued or running at most; past it, ``AccountError/busy(retryAfterSeconds:)`` (503).
    public var hashingQueueLimit = PasswordHashing.defaultQueueLimit
    /// NIST 800-63B: at least 8; 15 where the password is the only factor.
    public var minimumPasswordLength = 8
    /// NIST 800-63B: allow at least 64.
    public var maximumPasswordLength = 256
    /// A password counts as breached when its breach count exceeds this (0: any appearance).
    public var breachThreshold: UInt64 = 0
    /// When the breach check cannot answer: true lets the password through (and logs),
    /// false refuses the operation with ``AccountError/breachCheckUnavailable``.
    public var breachCheckFailOpen = false

    /// L1: this many consecutive failures send the reset e-mail.
    public var failuresBeforeResetEmail = 10
    /// L2: failures allowed before the first lock.
    public var failuresBeforeLockout = 5
    /// L2: the first lock; each further failure doubles it, up to `maximumLockout`.
    public var firstLockout: Duration = .seconds(30)
    public var maximumLockout: Duration = .seconds(3600)
    /// L2, NIST 800-63B: after this many consecutive failures the account signs in
    /// only after a password reset.
    public var failuresBeforeResetRequired = 100

    /// A2: how long an activation link works.
    public var activationLifetime: Duration = .seconds(7 * 24 * 3600)
    /// R2: how long a reset link works.
    public var resetLinkLifetime: Duration = .seconds(24 * 3600)
    /// L3: how long a device code works and how many wrong tries it takes.
    public var deviceCodeLifetime: Duration = .seconds(600)
    public var deviceCodeAttempts = 5
    /// L3: at most this many device codes are sent per account and hour (each sign-in
    /// with the right password from an unknown device makes one).
    public var deviceChallengesPerHour = 5
    /// L3: off, every sign-in completes without a device code.
    public var verifyNewDevices = true
    /// L3: a device stays known this long after its code was entered (or its
    /// activation link followed); then it is asked for a code again.
    public var rememberedDeviceLifetime: Duration = .seconds(30 * 24 * 3600)

    /// Mail to one address from sign-up and reset requests, per hour: past it, such a
    /// request answers as always but sends nothing (no inbox can be flooded).
    public var messagesPerAddressPerHour = 5
    /// Sign-ups, reset requests and device codes asked for by one client (IP address)
    /// per hour: past it, 429.
    public var requestsPerClientPerHour = 30

    /// L4: a session ends after this long without use.
    public var sessionIdleTimeout: Duration = .seconds(24 * 3600)
    /// A session ends this long after sign-in whatever its use.
    public var sessionLifetime: Duration = .seconds(30 * 24 * 3600)

    /// Where the links in e-mails point: `{linkBaseURL}/activate?token=…`,
    /// `{linkBaseURL}/reset-password?token=…`.
    public var linkBaseURL = "http://127.0.0.1:8080"
    /// The product's name in messages.
    public var productName = "BreachDB"

    public init() {}
}
