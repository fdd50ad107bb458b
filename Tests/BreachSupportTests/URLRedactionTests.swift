import BreachSupport
import Testing

@Suite struct URLRedactionTests {
    @Test("A URL in a message shows no password, token user, query value, valueless query name or fragment")
    func urlsAreRedacted() {
        let shown = redactedURL(
            "https://gw:s3cret-password@sms.example/send?user=ops&token=s3cret-value&S3CRETKEY#s3cret-fragment")
        #expect(!shown.contains("s3cret") && !shown.contains("S3CRET"), "\(shown)")
        #expect(shown.hasPrefix("https://gw:***@sms.example/send?user=***&token=***&***"), "\(shown)")
    }
}
