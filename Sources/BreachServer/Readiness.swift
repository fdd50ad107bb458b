import BreachIndex
import Hummingbird
import NIOCore

/// `GET /readyz`: whether a load balancer should send this node requests. Ready (200)
/// once every index is open and its structure checked, while its checksums are verified
/// in the background; not ready (503) once a chunk fails its checksum, until a good file
/// replaces it. The body says which, one line per index not yet fully verified, and one
/// per compact index served (a full index is the default and needs no line).
struct Readiness {
    let isReady: Bool
    let text: String

    init(_ snapshot: ServedIndexes.Snapshot) {
        var damaged: [String] = [], verifying: [String] = [], compact: [String] = []
        for integrity in snapshot.integrity {
            let index = integrity.index
            let name = "\(index.kind.rawValue)\(index.answersRanges ? "" : " compact") index \(index.path)"
            if !index.answersRanges {
                compact.append("\(name): checks only, no /range (first 64 bits of each hash kept)")
            }
            switch integrity.status {
            case .intact: break
            case .verifying(let checked):
                verifying.append("\(name): \(checked) of \(BreachIndex.checksumChunkCount) chunk checksums verified")
            case .damaged(let problems): damaged += problems.map { "\(name): \($0)" }
            }
        }
        isReady = damaged.isEmpty
        text =
            switch (damaged.isEmpty, verifying.isEmpty) {
            case (false, _): (["not ready: damaged index"] + damaged).joined(separator: "\n") + "\n"
            case (true, false):
                (["ready; checksums being verified"] + verifying + compact).joined(separator: "\n") + "\n"
            case (true, true): (["ready"] + compact).joined(separator: "\n") + "\n"
            }
    }

    var response: Response {
        Response(
            status: isReady ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
