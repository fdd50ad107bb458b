import BreachIndex
import Testing

@testable import BreachDownload

@Suite struct DownloadCheckpointTests {
    /// A partial file checkpointed by a version without compact downloads resumes as the
    /// full download it was, not afresh.
    @Test func aCheckpointWithoutAFormatIsOfAFullDownload() throws {
        let old =
            #"{"source":"https://api.pwnedpasswords.com","kind":"sha1","prefixes":"00000-FFFFF","padding":false,"next":7}"#
        let checkpoint = try #require(DownloadCheckpoint.decode(Array(old.utf8)))
        #expect(checkpoint.format == .full)
        #expect(checkpoint.next == 7)
    }

    /// A compact download does not continue a full one's partial file, nor the other way.
    @Test func fullAndCompactDownloadsAreDifferentDownloads() {
        var options = DownloadOptions(output: "out.idx", userAgent: "test")
        let full = DownloadCheckpoint(options: options, next: 0)
        options.format = .compact
        #expect(!DownloadCheckpoint(options: options, next: 0).isSameDownload(as: full))
    }
}
