import AccountTestSupport
import Accounts
import BreachDownload
import Testing

@Suite("Password hashing and the breach check")
struct PasswordHashingTests {
    @Test(
        "Argon2id uses OWASP's parameters by default; a hash made under older settings is upgraded at the next sign-in")
    func argon2ParametersAndUpgrade() async throws {
        let hashing = PasswordHashing()
        let owasp = try await hashing.hash("a-password-to-hash")
        #expect(owasp.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hashing.verify("a-password-to-hash", against: owasp))
        #expect(!(try await hashing.verify("another-password", against: owasp)))

        try await AccountFixture.withActiveUser("up", on: .sqlite, configure: { $0.verifyNewDevices = false }) {
            fixture, login, user in
            let stronger = fixture.anotherService {
                $0.argon2 = Argon2Parameters(memoryKiB: 512, iterations: 2, parallelism: 1)
            }
            _ = try await stronger.signIn(login: login, password: AccountFixture.goodPassword)
            let stored = try await fixture.store.transaction { tx in
                try await tx.account(id: user.accountID)?.passwordHash
            }
            #expect(stored?.hasPrefix("$argon2id$v=19$m=512,t=2,p=1$") == true)
            _ = try await stronger.signIn(login: login, password: AccountFixture.goodPassword)
        }
    }

    @Test("A breach checker that cannot answer fails closed by default, or open when configured")
    func breachCheckFailure() async throws {
        let unreachable = RemoteBreachChecker(baseURL: "http://127.0.0.1:9", timeout: .seconds(2))
        try await AccountFixture.with(.sqlite, checker: unreachable) { closed in
            await #expect(throws: AccountError.breachCheckUnavailable) {
                try await closed.service.createAdministrator(
                    email: closed.address("a"), password: AccountFixture.goodPassword)
            }
        }
        try await AccountFixture.with(.sqlite, checker: unreachable, configure: { $0.breachCheckFailOpen = true }) {
            open in
            _ = try await open.service.createAdministrator(
                email: open.address("a"), password: AccountFixture.goodPassword)
        }
    }

    @Test("A breach threshold: a password counts as breached only above it")
    func breachThreshold() async throws {
        try await AccountFixture.with(.sqlite, configure: { $0.breachThreshold = 42 }) { fixture in
            _ = try await fixture.service.createAdministrator(email: fixture.address("a"), password: "password123")
        }
    }
}
