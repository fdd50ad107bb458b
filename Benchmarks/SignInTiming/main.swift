// Sign-in time of an unknown login against a known login's wrong password
// (docs/benchmarks.md, "Sign-in: unknown logins and wrong passwords"):
// tools/bench/run.sh signin [ROUNDS]. A benchmark, not a test: on a shared machine the
// timing only says something when the machine is quiet. The tests check the work itself
// (AccountsTests' SignInWorkTests: the same Argon2 work and the same committed writes).
import AccountStorage
import Accounts
import BreachCheck
import Foundation

/// Every password is unbreached: the check is not what is timed.
struct NoBreaches: BreachChecker {
    func breachCount(ofPassword password: String) async throws -> UInt64 { 0 }
}

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100 : 100
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("breachdb-signin-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

// The defaults (OWASP's Argon2id cost, SQLite on disk with every commit fsynced), but no
// lockout and no reset e-mail, so that every wrong password is checked in full.
var configuration = AccountConfiguration()
configuration.failuresBeforeLockout = 1_000_000
configuration.failuresBeforeResetEmail = 1_000_000
configuration.failuresBeforeResetRequired = 1_000_000

let clock = ContinuousClock()
try await SQLAccountStore.withStore("sqlite:" + directory.appendingPathComponent("accounts.sqlite").path) { store in
    let service = AccountService(store: store, breachChecker: NoBreaches(), configuration: configuration)
    let known = "known@example.com", unknown = "nobody@example.com"
    _ = try await service.createAdministrator(email: known, password: "a long unbreached passphrase 7f3a")
    func milliseconds(signingIn login: String) async -> Double {
        let start = clock.now
        _ = try? await service.signIn(login: login, password: "wrong-password-timing")
        let elapsed = (clock.now - start).components
        return Double(elapsed.seconds) * 1e3 + Double(elapsed.attoseconds) / 1e15
    }
    // Warm-up (the dummy hash is made on first use), then interleaved so that load from
    // elsewhere falls on both alike.
    _ = await milliseconds(signingIn: unknown)
    _ = await milliseconds(signingIn: known)
    var unknownTimes: [Double] = [], knownTimes: [Double] = []
    for _ in 0..<rounds {
        unknownTimes.append(await milliseconds(signingIn: unknown))
        knownTimes.append(await milliseconds(signingIn: known))
    }
    func quantile(_ times: [Double], _ q: Double) -> Double { times.sorted()[Int(Double(times.count - 1) * q)] }
    func row(_ name: String, _ times: [Double]) -> String {
        String(format: "%@: median %.2f ms, p90 %.2f ms", name, quantile(times, 0.5), quantile(times, 0.9))
    }
    print("\(rounds) rounds, unknown and known interleaved")
    print(row("unknown login ", unknownTimes))
    print(row("wrong password", knownTimes))
    print(String(format: "median ratio known/unknown: %.3f", quantile(knownTimes, 0.5) / quantile(unknownTimes, 0.5)))
}
