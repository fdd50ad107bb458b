import AccountMail
import AccountTestSupport
import Accounts
import BreachSupport
import Foundation
import Testing

/// A reply pipelined after the STARTTLS "220" in plain text must not be read as if it
/// had come over TLS (the STARTTLS command-injection class of bug).
@Suite struct StartTLSInjectionTests {
    /// A fake server that forges a "250" in plain text: pipelined after its "220" to
    /// STARTTLS (`after`), or sent ahead with its EHLO reply, the "220" too (`before`).
    private static let server = #"""
        import socket, sys, time
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        print(listener.getsockname()[1], flush=True)
        connection, _ = listener.accept()
        reader = connection.makefile("rb")
        connection.sendall(b"220 fake ESMTP\r\n")
        reader.readline()
        if sys.argv[1] == "before":
            connection.sendall(b"250-fake\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected in plain text\r\n")
            reader.readline()
        else:
            connection.sendall(b"250-fake\r\n250 STARTTLS\r\n")
            reader.readline()
            connection.sendall(b"220 go ahead\r\n250 injected in plain text\r\n")
        time.sleep(2)
        connection.close()
        """#

    @Test(
        "STARTTLS: a plain-text reply pipelined after the STARTTLS reply, or sent ahead of it, ends the session",
        arguments: ["after", "before"])
    func pipelinedReplyIsRefused(sent: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.server, sent]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { process.terminate() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw DeliveryError("the fake server exited before listening") }
            line.append(chunk)
        }
        let port = try #require(
            Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: port, sender: "accounts@breachdb.test")
        let message = OutgoingMessage(
            id: makeIdentifier(), channel: .email, recipient: "victim@example.test", subject: "Secret",
            body: "A reset link.", createdAt: Date())
        let refusal = await #expect(throws: DeliveryError.self) {
            try await SMTPMailer(configuration: configuration).deliver(message)
        }
        #expect(refusal?.description.contains("STARTTLS injection") == true, "\(String(describing: refusal))")
    }
}
