import BreachHash
import BreachIndex
import Foundation

/// What a download stores with each checkpoint of its temporary index (see
/// `IndexWriter.checkpoint(state:)`): which download it is, and the first prefix not yet
/// written. Ranges before `next` are in the file with their validators; a resumed run
/// starts at `next` and never asks for the others again.
struct DownloadCheckpoint: Codable, Equatable {
    var source: String
    var kind: HashKind
    var prefixes: PrefixRange
    var padding: Bool
    var next: Int

    init(options: DownloadOptions, next: Int) {
        source = options.sourceForDisplay  // the partial file keeps no credentials
        kind = options.kind
        prefixes = options.prefixes
        padding = options.padding
        self.next = next
    }

    /// `true` when `other` is the same download (wherever it stopped).
    func isSameDownload(as other: DownloadCheckpoint) -> Bool {
        var other = other
        other.next = next
        return self == other
    }

    func encoded() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }

    static func decode(_ bytes: [UInt8]) -> DownloadCheckpoint? {
        try? JSONDecoder().decode(Self.self, from: Data(bytes))
    }
}
