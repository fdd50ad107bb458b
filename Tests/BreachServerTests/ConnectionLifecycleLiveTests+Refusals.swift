import NIOCore
import Testing

@testable import BreachServer

/// Refusals made on a request's head, through a live server on a real socket.
extension ConnectionLifecycleLiveTests {
    /// The head of a check whose client waits for `100 Continue`, then everything the server
    /// sends until it closes the connection; the client never sends the body.
    func answerToHeadExpectingContinue(_ fields: String, port: Int) async throws -> String {
        let connection = try await connect(port: port)
        var received = ""
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(
                ByteBuffer(
                    string: "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                        + "Expect: 100-continue\r\n\(fields)\r\n"))
            for try await chunk in inbound { received += String(buffer: chunk) }
        }
        return received
    }

    /// A client that waits for `100 Continue` with a body over the limit gets 413 at once
    /// (not after the request timeout), then the connection closes.
    @Test(.timeLimit(.minutes(1)))
    func aCheckExpectingContinueWithABodyOverTheLimitIsRefusedBeforeItsBodyThenClosed() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let received = try await answerToHeadExpectingContinue(
                "Content-Length: \(CheckRoutes.bodyLimit + 1)\r\n", port: try #require(client.port))
            #expect(received.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
            #expect(received.contains("\r\nConnection: close\r\n"))
            #expect(received.contains(#""code":"body_too_large""#))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCheckExpectingContinueWithARefusedTokenIsRefusedBeforeItsBodyThenClosed() async throws {
        let fixture = try ServerFixture()
        try await fixture.application(apiTokens: ["s3cret"]).test(.live) { client in
            let received = try await answerToHeadExpectingContinue(
                "Authorization: Bearer wrong\r\nContent-Length: 24\r\n", port: try #require(client.port))
            #expect(received.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
            #expect(received.contains("\r\nConnection: close\r\n"))
        }
    }
}
