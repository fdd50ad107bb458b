import AccountTestSupport
import Accounts
import Testing

@Suite("Identity and activation (A1–A5, B1)", .dropsTestDatabases, .accountTestTimeLimit)
struct ActivationTests {
    @Test(
        "A2: an invited user gets \"Activate now\", sets a password through the link and is signed in",
        arguments: StoreKind.all)
    func invitationActivatesAndSignsIn(kind: StoreKind) async throws {
        try await AccountFixture.withInvitation("ada", on: kind) { fixture, token in
            let email = fixture.address("ada")
            let mail = try await fixture.onlyMail(to: email, subjectContaining: "Activate")
            #expect(mail.body.contains("Activate now: https://app.example.test/activate?token=\(token)"))
            let session = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
            #expect(try await fixture.service.authenticate(sessionToken: session.sessionToken).login == email)
            // Afterwards: user ID + that password, from the device the link made known.
            try await fixture.session(email, AccountFixture.goodPassword, deviceToken: session.deviceToken)
        }
    }

    @Test("A2: an activation link works once", arguments: StoreKind.all)
    func activationLinkIsSingleUse(kind: StoreKind) async throws {
        try await AccountFixture.withInvitation("bo", on: kind) { fixture, token in
            _ = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.activate(token: token, password: "another-long-password")
            }
        }
    }

    @Test(
        "A1: the user ID is the e-mail address, any case; an assigned user name is a field of its own",
        arguments: StoreKind.all)
    func loginIdentifier(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind, configure: { $0.verifyNewDevices = false }) { fixture, admin in
            _ = try await fixture.activeUser("cy", by: admin)
            try await fixture.session(fixture.address("CY").uppercased(), AccountFixture.goodPassword)

            let email = fixture.address("dee")
            let token = try await fixture.invitation("dee", login: "dee.local", by: admin)
            _ = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
            try await fixture.session("Dee.Local", AccountFixture.goodPassword)
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(login: email, password: AccountFixture.goodPassword)
            }
        }
    }

    @Test("B1: a breached password for a new account is refused with the rule's message", arguments: StoreKind.all)
    func breachedPasswordRefusedAtActivation(kind: StoreKind) async throws {
        try await AccountFixture.withInvitation("eve", on: kind) { fixture, token in
            let error = await #expect(throws: AccountError.breachedPassword) {
                try await fixture.service.activate(token: token, password: "password123")
            }
            #expect(error?.message == "Choose a different password. This has been identified as a risky password.")
            #expect(error?.explanation?.contains("does not mean your other accounts are compromised") == true)
            // The refusal did not use up the link.
            _ = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
        }
    }

    @Test(
        "B1: a password breached once normalised (NFKC: full-width ｐａｓｓｗｏｒｄ１２３ is password123) is refused",
        arguments: StoreKind.all)
    func breachedAfterNormalisationRefused(kind: StoreKind) async throws {
        try await AccountFixture.withInvitation("wide", on: kind) { fixture, token in
            await #expect(throws: AccountError.breachedPassword) {
                try await fixture.service.activate(token: token, password: "ｐａｓｓｗｏｒｄ１２３")
            }
            #expect(await fixture.service.passwordStrength("ｐａｓｓｗｏｒｄ１２３").level == .weak)
        }
    }

    @Test("A dead activation link is refused before its password is checked or hashed", arguments: StoreKind.all)
    func deadLinkRefusedFirst(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            // A breached password would be refused as breached if it were looked at first.
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.activate(token: "no-such-token", password: "password123")
            }
            await #expect(throws: AccountError.invalidLink) {
                try await fixture.service.resetPassword(token: "no-such-token", newPassword: "password123")
            }
        }
    }

    @Test(
        "Sign-up answers the same for a registered address and tells only its owner, by e-mail",
        arguments: StoreKind.all)
    func signUpDoesNotEnumerate(kind: StoreKind) async throws {
        try await AccountFixture.with(kind) { fixture in
            let email = try await fixture.signUp("gus")
            try await fixture.service.signUp(email: email.uppercased())
            let token = try await fixture.activationLink(to: email)
            _ = try await fixture.onlyMail(to: email, subjectContaining: "already have")
            // Before activation there is no password to sign in with.
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(login: email, password: AccountFixture.goodPassword)
            }
            _ = try await fixture.service.activate(token: token, password: AccountFixture.goodPassword)
        }
    }

    @Test("A3: breached is weak, short is weak, long and varied is strong, with reasons")
    func passwordStrength() async throws {
        try await AccountFixture.with(.sqlite) { fixture in
            let breached = await fixture.service.passwordStrength("password123")
            #expect(
                breached.level == .weak && breached.breachCount == 42
                    && breached.reasons.contains { $0.contains("breaches") })
            #expect(await fixture.service.passwordStrength("Ab1!x").level == .weak)
            let fair = await fixture.service.passwordStrength("river7Stone")
            #expect(fair.level == .fair && !fair.reasons.isEmpty)
            let strong = await fixture.service.passwordStrength(AccountFixture.goodPassword)
            #expect(strong.level == .strong && strong.reasons.isEmpty && strong.breachCount == 0)
            #expect(await fixture.service.passwordStrength("abcd1234efgh5678").reasons.contains { $0.contains("run") })
        }
    }

    @Test(
        "A4: an SSO account is active without a password and refuses every password flow with a reason",
        arguments: StoreKind.all)
    func singleSignOnAccountsHaveNoPassword(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let email = try await fixture.invite("sso", authentication: .singleSignOn, by: admin)
            #expect(try await fixture.mail(to: email).isEmpty)
            await #expect(throws: AccountError.singleSignOnAccount) {
                try await fixture.service.signIn(login: email, password: "whatever-it-is-here")
            }
            await #expect(throws: AccountError.singleSignOnAccount) {
                try await fixture.service.adminSetPassword(
                    login: email, password: AccountFixture.goodPassword, by: try await fixture.user(admin))
            }
            await #expect(throws: AccountError.singleSignOnAccount) {
                try await fixture.service.adminSendPasswordReset(login: email, by: try await fixture.user(admin))
            }
            try await fixture.service.requestPasswordReset(login: email)
            let notice = try await fixture.onlyMail(to: email, subjectContaining: "single sign-on")
            #expect(notice.token(forPath: "reset-password") == nil)
        }
    }

    @Test(
        "A5: a deactivated account is told so only after the right password, and its sessions end",
        arguments: StoreKind.all)
    func deactivatedAccounts(kind: StoreKind) async throws {
        try await AccountFixture.withAdministrator(kind) { fixture, admin in
            let session = try await fixture.activeUser("hal", by: admin)
            try await fixture.service.deactivate(login: fixture.address("hal"), by: try await fixture.user(admin))
            await #expect(throws: AccountError.notSignedIn) {
                try await fixture.service.authenticate(sessionToken: session.sessionToken)
            }
            await #expect(throws: AccountError.invalidCredentials) {
                try await fixture.service.signIn(login: fixture.address("hal"), password: "not-the-password")
            }
            let error = await #expect(throws: AccountError.accountDeactivated) {
                try await fixture.service.signIn(login: fixture.address("hal"), password: AccountFixture.goodPassword)
            }
            #expect(error?.message.contains("You have no accounts") == true)
            try await fixture.service.reactivate(login: fixture.address("hal"), by: try await fixture.user(admin))
            _ = try await fixture.service.signIn(
                login: fixture.address("hal"), password: AccountFixture.goodPassword, deviceToken: session.deviceToken)
        }
    }
}
