import Testing

@testable import BreachDownload

@Suite struct DownloadOptionsTests {
    /// The source is stored in the index's metadata, which `stats` and `/v1/index` print.
    @Test func theSourceIsShownWithoutPasswordOrQueryValues() {
        var options = DownloadOptions(output: "next.idx", userAgent: "breachdb-test")
        options.source = "http://replica:s3cret@primary.example:8080/hibp?token=abc"
        #expect(options.sourceForDisplay == "http://replica:***@primary.example:8080/hibp?token=***")
    }
}
