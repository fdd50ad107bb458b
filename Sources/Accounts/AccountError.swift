/// Why an account operation was refused. `code` is stable for programs; `message` is
/// shown to people and never says whether an address is registered.
public enum AccountError: Error, Equatable, Sendable {
    /// Wrong login or password, or a locked account: one answer for all, so that no
    /// one learns which addresses exist or which are locked.
    case invalidCredentials
    /// A5: told only after the right password.
    case accountDeactivated
    /// The account has not been activated yet (told only after the right password).
    case accountNotActivated
    /// A4: an SSO account has no password to set, change or reset here.
    case singleSignOnAccount
    /// B1, B4: a breached password chosen for an account.
    case breachedPassword
    /// B2: a breached password chosen in a reset.
    case unsafePassword
    /// B3: the password in use is now breached; a reset e-mail went out.
    case passwordResetRequired
    /// R6: an administrator set the password; change it before anything else.
    case passwordChangeRequired
    case passwordTooShort(minimum: Int)
    case passwordTooLong(maximum: Int)
    /// R4: the new password and its confirmation differ.
    case passwordConfirmationMismatch
    /// R4: the current password given to a change is wrong.
    case currentPasswordIncorrect
    /// An activation or reset link that is unknown, used, superseded or expired.
    case invalidLink
    /// L3: a wrong, used or expired device code.
    case invalidDeviceCode
    /// No session, or an expired one (L4).
    case notSignedIn
    /// R5, D1: the role does not allow this.
    case forbidden
    case unknownAccount
    case loginTaken
    case invalidLogin
    /// A phone number that is not 6–15 digits with an optional leading +.
    case invalidPhone
    /// The breach check could not answer and the configuration fails closed.
    case breachCheckUnavailable
    /// Too many messages or codes asked for in a short time (L3, and the limits on
    /// sign-up and reset requests): try again in `retryAfterSeconds`.
    case tooManyRequests(retryAfterSeconds: Int)
    /// More password hashing queued than the server takes at once: try again shortly.
    case busy(retryAfterSeconds: Int)

    public var code: String {
        switch self {
        case .invalidCredentials: "invalid_credentials"
        case .accountDeactivated: "account_deactivated"
        case .accountNotActivated: "account_not_activated"
        case .singleSignOnAccount: "single_sign_on_account"
        case .breachedPassword: "breached_password"
        case .unsafePassword: "unsafe_password"
        case .passwordResetRequired: "password_reset_required"
        case .passwordChangeRequired: "password_change_required"
        case .passwordTooShort: "password_too_short"
        case .passwordTooLong: "password_too_long"
        case .passwordConfirmationMismatch: "password_confirmation_mismatch"
        case .currentPasswordIncorrect: "current_password_incorrect"
        case .invalidLink: "invalid_link"
        case .invalidDeviceCode: "invalid_device_code"
        case .notSignedIn: "not_signed_in"
        case .forbidden: "forbidden"
        case .unknownAccount: "unknown_account"
        case .loginTaken: "login_taken"
        case .invalidLogin: "invalid_login"
        case .invalidPhone: "invalid_phone"
        case .breachCheckUnavailable: "breach_check_unavailable"
        case .tooManyRequests: "too_many_requests"
        case .busy: "busy"
        }
    }

    public var message: String {
        switch self {
        case .invalidCredentials: "The user ID or password is incorrect."
        case .accountDeactivated: "You have no accounts: this account has been deactivated."
        case .accountNotActivated: "This account is not activated yet: follow the link in the activation e-mail."
        case .singleSignOnAccount:
            "This account signs in with single sign-on; its password is managed by your identity provider."
        case .breachedPassword: "Choose a different password. This has been identified as a risky password."
        case .unsafePassword: "That password is unsafe."
        case .passwordResetRequired:
            "This password has appeared in a data breach. We have sent you an e-mail to reset it."
        case .passwordChangeRequired: "Your administrator set your password: change it before you go on."
        case .passwordTooShort(let minimum): "The password must have at least \(minimum) characters."
        case .passwordTooLong(let maximum): "The password must have at most \(maximum) characters."
        case .passwordConfirmationMismatch: "The new passwords do not match."
        case .currentPasswordIncorrect: "The current password is incorrect."
        case .invalidLink: "This link is no longer valid. Request a new one."
        case .invalidDeviceCode: "The verification code is incorrect or has expired."
        case .notSignedIn: "You are not signed in, or your session has ended."
        case .forbidden: "You do not have permission to do this."
        case .unknownAccount: "There is no such user."
        case .loginTaken: "That user ID is already in use."
        case .invalidLogin: "Enter a valid e-mail address or user ID."
        case .invalidPhone: "Enter the phone number with its country code, for example +47 912 34 567."
        case .breachCheckUnavailable: "The password could not be checked right now. Try again shortly."
        case .tooManyRequests: "Too many requests for this account or from this client. Try again later."
        case .busy: "The server is busy. Try again shortly."
        }
    }

    /// The longer explanation shown beside a breached-password refusal (B1, B2).
    public var explanation: String? {
        switch self {
        case .breachedPassword, .passwordResetRequired:
            "This password is widely known on the internet because it appeared in data breaches. That does not mean your other accounts are compromised, but you should change it wherever else you use it."
        case .unsafePassword:
            "This password appeared in data breaches. That does not mean your account was compromised, but you must choose another password."
        default: nil
        }
    }
}
