import Accounts
import Crypto
import Foundation

/// Outbox bodies at rest: AES-256-GCM under the store's outbox key, the message's id as
/// associated data (a sealed body moved to another row does not open). A sealed row
/// names the key that sealed it (`body_key`, the key's ``AccountSecretKey/identifier``),
/// so a node with another key says so instead of failing obscurely.
struct OutboxSealing: Sendable {
    let key: AccountSecretKey

    /// The body sealed, as base64 of nonce, ciphertext and tag.
    func seal(_ body: String, messageID: String) throws -> String {
        let box = try AES.GCM.seal(Data(body.utf8), using: key.outboxKey, authenticating: Data(messageID.utf8))
        // The default 12-byte nonce always has a combined form.
        return box.combined!.base64EncodedString()
    }

    /// The body of a row sealed under `keyIdentifier`.
    func open(_ sealed: String, keyIdentifier: String, messageID: String) throws(OutboxSealingError) -> String {
        guard keyIdentifier == key.identifier else {
            throw .otherKey(sealedWith: keyIdentifier, configured: key.identifier)
        }
        guard let combined = Data(base64Encoded: sealed),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: key.outboxKey, authenticating: Data(messageID.utf8)),
            let body = String(data: plain, encoding: .utf8)
        else { throw .damaged }
        return body
    }
}

/// Why an outbox row could not be opened. The row is kept, unsent, for a node with the
/// right key (or until its secret expires).
public enum OutboxSealingError: Error, Equatable, CustomStringConvertible {
    case otherKey(sealedWith: String, configured: String)
    case damaged

    public var description: String {
        switch self {
        case .otherKey(let sealedWith, let configured):
            "sealed with the outbox key \(sealedWith), but this node's key is \(configured): start it with the key file the message was written with (--outbox-key-file); the message is kept unsent"
        case .damaged:
            "its sealed body does not open with this node's outbox key (altered or damaged); the message is kept unsent"
        }
    }
}
