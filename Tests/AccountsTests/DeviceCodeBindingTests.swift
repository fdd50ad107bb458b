import AccountTestSupport
import Accounts
import Crypto
import Foundation
import Testing

@testable import AccountStorage

/// L3's codes bound to the client that asked for them, and stored so that reading the
/// database gives no code (issue 23, finding 9).
@Suite("Device code binding", .dropsTestDatabases, .accountTestTimeLimit)
struct DeviceCodeBindingTests {
    /// The challenge's row: its stored code and the tries taken.
    private func storedChallenge(_ fixture: AccountFixture, _ id: Substring) async throws -> (
        codeHash: String, tries: Int64
    ) {
        let row = try #require(
            try await fixture.store.database.transaction { connection in
                try await connection.query(
                    "SELECT code_hash, failed_attempts FROM device_challenges WHERE id = ?", [.text(String(id))]
                ).first
            })
        return (try row.text("code_hash"), try row.integer("failed_attempts"))
    }

    /// Runs `body` with a fixture whose active user `name` signed in from an unknown device:
    /// the user's login, the challenge's handle and the e-mailed code.
    private func withPendingChallenge(
        _ kind: StoreKind, _ name: String,
        _ body: (AccountFixture, _ login: String, _ handle: String, _ code: String) async throws -> Void
    ) async throws {
        try await AccountFixture.withActiveUser(name, on: kind) { fixture, login, _ in
            let (handle, code) = try await fixture.pendingDeviceCode(login)
            try await body(fixture, login, handle, code)
        }
    }

    private func failedSignIns(_ fixture: AccountFixture, _ login: String) async throws -> Int? {
        try await fixture.store.transaction { tx in try await tx.account(login: login)?.failedSignIns }
    }

    @Test(
        "L3: the right code with another client's challenge (its id without its secret) fails like a wrong code and counts",
        arguments: StoreKind.all)
    func codeIsBoundToTheChallengingClient(kind: StoreKind) async throws {
        try await withPendingChallenge(kind, "bound") { fixture, login, handle, code in
            // Someone who read the challenge's id (from the database, say) and the e-mail.
            let id = try #require(handle.split(separator: ".").first)
            for stolen in [String(id), "\(id).\(String(repeating: "A", count: 43))"] {
                await #expect(throws: AccountError.invalidDeviceCode) {
                    try await fixture.service.verifyDevice(challengeID: stolen, code: code)
                }
            }
            // L2: each counted as a try of the challenge and a failed attempt on the account.
            #expect(try await storedChallenge(fixture, id).tries == 2)
            #expect(try await failedSignIns(fixture, login) == 2)
            let session = try await fixture.service.verifyDevice(challengeID: handle, code: code)
            #expect(try await fixture.user(session.sessionToken).login == login)
        }
    }

    @Test(
        "L3: the stored code is keyed (HMAC with the server's key): it is none of the SHA-256s of the 10^6 codes",
        arguments: StoreKind.all)
    func storedCodeIsNotAnUnkeyedHash(kind: StoreKind) async throws {
        try await withPendingChallenge(kind, "keyed") { fixture, _, handle, code in
            let stored = try await storedChallenge(fixture, try #require(handle.split(separator: ".").first)).codeHash
            let digest = try #require(Data(hexString: stored))
            #expect(digest.count == 32)
            // Whoever reads the database tries every code: none gives the stored value.
            var candidate = Array("000000".utf8)
            var matches = 0
            for value in 0..<1_000_000 {
                var rest = value
                for position in stride(from: 5, through: 0, by: -1) {
                    candidate[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                if SHA256.hash(data: candidate).elementsEqual(digest) { matches += 1 }
            }
            #expect(matches == 0)
            _ = try await fixture.service.verifyDevice(challengeID: handle, code: code)
        }
    }

    @Test("L3: a node whose store has another key cannot check the code", arguments: StoreKind.all)
    func codeNeedsTheServerKey(kind: StoreKind) async throws {
        try await withPendingChallenge(kind, "node") { fixture, _, handle, code in
            let otherNode = fixture.anotherService(
                store: SQLAccountStore(database: fixture.store.database, secretKey: .generate()))
            await #expect(throws: AccountError.invalidDeviceCode) {
                try await otherNode.verifyDevice(challengeID: handle, code: code)
            }
            _ = try await fixture.service.verifyDevice(challengeID: handle, code: code)
        }
    }
}

extension Data {
    fileprivate init?(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) ?? hexString.endIndex
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
