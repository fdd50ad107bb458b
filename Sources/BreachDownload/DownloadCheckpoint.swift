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
    var format: IndexFormat
    var prefixes: PrefixRange
    var padding: Bool
    var next: Int

    init(options: DownloadOptions, next: Int) {
        source = options.sourceForDisplay  // the partial file keeps no credentials
        kind = options.kind
        format = options.format
        prefixes = options.prefixes
        padding = options.padding
        self.next = next
    }

    private enum CodingKeys: String, CodingKey { case source, kind, format, prefixes, padding, next }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        kind = try container.decode(HashKind.self, forKey: .kind)
        // Checkpoints written before compact downloads existed are of full ones.
        format = try container.decodeIfPresent(IndexFormat.self, forKey: .format) ?? .full
        prefixes = try container.decode(PrefixRange.self, forKey: .prefixes)
        padding = try container.decode(Bool.self, forKey: .padding)
        next = try container.decode(Int.self, forKey: .next)
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
