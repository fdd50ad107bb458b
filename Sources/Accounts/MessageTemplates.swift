/// The texts of the e-mails and SMS the rules send, plain text, in the product's words.
struct MessageTemplates {
    let productName: String
    let linkBaseURL: String

    struct Email {
        var subject: String
        var body: String
    }

    /// A2: an administrator added the user (or they signed up).
    func activation(token: String) -> Email {
        Email(
            subject: "Activate your \(productName) account",
            body: """
                An account has been created for you in \(productName).

                Activate now: \(linkBaseURL)/activate?token=\(token)

                Following the link, you choose your own password and are signed in. Afterwards \
                you sign in with your user ID (this e-mail address) and that password.
                """)
    }

    /// R1, R5: a reset the user (or an administrator for them) asked for.
    func passwordReset(token: String, hours: Int) -> Email {
        Email(
            subject: "Reset your \(productName) password",
            body: """
                Someone asked to reset the password of your \(productName) account.

                Set a new password: \(linkBaseURL)/reset-password?token=\(token)

                The link works once and expires in \(hours) hours. If you asked more than once, \
                only the most recent link works. If you did not ask, you can ignore this e-mail.
                """)
    }

    /// B3: the password in use appeared in a breach.
    func proactiveReset(token: String, hours: Int) -> Email {
        Email(
            subject: "Your \(productName) password must be reset",
            body: """
                Your password has been identified as a risky password: it appears in publicly \
                leaked password lists. That does not mean your account was compromised, but you \
                cannot sign in with it any more, and you should change it wherever else you use it.

                Set a new password: \(linkBaseURL)/reset-password?token=\(token)

                The link works once and expires in \(hours) hours.
                """)
    }

    /// L1: ten failed sign-ins in a row.
    func failedSignInsReset(token: String, failures: Int, hours: Int) -> Email {
        Email(
            subject: "\(failures) failed sign-in attempts on your \(productName) account",
            body: """
                There have been \(failures) failed attempts to sign in to your \(productName) account. \
                If that was you and you have forgotten your password, set a new one here:

                \(linkBaseURL)/reset-password?token=\(token)

                The link works once and expires in \(hours) hours. If it was not you, your \
                account is protected by a temporary lock; setting a new password also ends it.
                """)
    }

    /// L3: a sign-in from a device the account has not used before.
    func deviceCode(_ code: String, minutes: Int) -> Email {
        Email(
            subject: "Your \(productName) verification code",
            body: """
                Someone signed in to your \(productName) account from a browser or device we do \
                not recognise. To confirm it was you, enter this verification code:

                \(code)

                The code expires in \(minutes) minutes. If this was not you, change your password.
                """)
    }

    /// R7: after a reset.
    func resetConfirmation() -> Email {
        Email(
            subject: "Your \(productName) password was reset",
            body: """
                The password of your \(productName) account was just reset, and every other \
                session was signed out. If you did not do this, contact your administrator.
                """)
    }

    /// R7: the SMS after a reset.
    func resetConfirmationSMS() -> String {
        "\(productName): your password was just reset. If this was not you, contact your administrator."
    }

    /// R4: the password changed while signed in.
    func passwordChanged() -> Email {
        Email(
            subject: "Your \(productName) password was changed",
            body: """
                The password of your \(productName) account was changed, and every other session \
                was signed out. If you did not do this, reset your password or contact your administrator.
                """)
    }

    /// R6: an administrator chose the password, so that no one takes an account over unnoticed.
    func passwordSetByAdministrator(_ administrator: String) -> Email {
        Email(
            subject: "An administrator set a new password for your \(productName) account",
            body: """
                \(administrator), an administrator of \(productName), set a new password for your \
                account. Every session was signed out, and you will be asked to choose your own \
                password when you sign in with the one the administrator gives you.

                If you did not ask for this, contact your administrator, or reset your password \
                with "Forgot my password" on the sign-in page.
                """)
    }

    /// D1: an administrator changed the account's role.
    func roleChanged(from old: Role, to new: Role, by administrator: String) -> Email {
        Email(
            subject: "Your role in \(productName) was changed",
            body: """
                \(administrator), an administrator of \(productName), changed your account's role \
                from \(Self.name(of: old)) to \(Self.name(of: new)).

                If you did not expect this, contact your administrator.
                """)
    }

    /// A5: the account was deactivated (it may no longer sign in) or reactivated.
    func accountStatusChanged(to status: AccountStatus, by administrator: String) -> Email {
        let (done, outcome) =
            status == .deactivated
            ? ("deactivated", "it can no longer sign in, and every session was signed out")
            : ("reactivated", "you can sign in again with your user ID and password")
        return Email(
            subject: "Your \(productName) account was \(done)",
            body: """
                \(administrator), an administrator of \(productName), \(done) your account: \(outcome).

                If you did not expect this, contact your administrator.
                """)
    }

    private static func name(of role: Role) -> String {
        switch role {
        case .superAdministrator: "super-administrator"
        case .userAdministrator: "user administrator"
        case .user: "user"
        }
    }

    /// A4: a reset asked for an account that signs in with single sign-on.
    func singleSignOnNotice() -> Email {
        Email(
            subject: "Your \(productName) account uses single sign-on",
            body: """
                Someone asked to reset the password of your \(productName) account. Your account \
                signs in with single sign-on, so it has no password here to reset: use your \
                organisation's sign-in, or ask its administrator.
                """)
    }

    /// Sign-up with an address that already has an account (the page answers the same).
    func alreadyRegistered() -> Email {
        Email(
            subject: "You already have a \(productName) account",
            body: """
                Someone tried to create a \(productName) account with this e-mail address, which \
                already has one. Sign in instead; if you have forgotten your password, use \
                "Forgot my password" on the sign-in page. If this was not you, ignore this e-mail.
                """)
    }
}
