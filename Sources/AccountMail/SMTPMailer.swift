import Accounts
import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Where and how to send e-mail.
public struct SMTPConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Implicit TLS from the first byte (SMTPS, usually port 465).
    public var useTLS: Bool
    /// AUTH PLAIN credentials; sent only over TLS unless `allowPlaintextAuthentication`.
    public var username: String?
    public var password: String?
    public var allowPlaintextAuthentication = false
    /// The envelope and `From:` address.
    public var sender: String
    public var timeout: Duration = .seconds(30)

    public init(host: String, port: Int, useTLS: Bool = false, username: String? = nil, password: String? = nil, sender: String) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
        self.username = username
        self.password = password
        self.sender = sender
    }

    /// `smtp://[USER:PASSWORD@]HOST[:PORT]` (default port 25) or `smtps://…` (TLS, 465).
    public init(url: String, sender: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["smtp", "smtps"].contains(scheme),
              let host = components.host, !host.isEmpty
        else { throw DeliveryError("not an SMTP URL (smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465): \(url.split(separator: "@").last ?? "")") }
        self.init(host: host, port: components.port ?? (scheme == "smtps" ? 465 : 25), useTLS: scheme == "smtps",
                  username: components.user?.removingPercentEncoding, password: components.password?.removingPercentEncoding, sender: sender)
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, optional AUTH PLAIN, one message
/// per connection. Written here because no SMTP client is among the packages this
/// project may use; it needs only the commands an outbox sends.
public struct SMTPMailer: MessageTransport {
    public let configuration: SMTPConfiguration

    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    public func deliver(_ message: OutgoingMessage) async throws {
        let configuration = configuration
        try await withTimeout(configuration.timeout, "SMTP \(configuration.host):\(configuration.port)") {
            try await Self.send(message, configuration: configuration)
        }
    }

    private static func send(_ message: OutgoingMessage, configuration: SMTPConfiguration) async throws {
        let tls = try configuration.useTLS ? NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: configuration.host))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DeliveryError("SMTP \(configuration.host):\(configuration.port): cannot connect: \(error)")
        }
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(lines: inbound.makeAsyncIterator(), outbound: outbound, server: "\(configuration.host):\(configuration.port)")
            try await session.expect(220, after: nil)
            try await session.command("EHLO \(ProcessInfo.processInfo.hostName)", expect: 250)
            if let username = configuration.username {
                guard configuration.useTLS || configuration.allowPlaintextAuthentication else {
                    throw DeliveryError("SMTP \(session.server): refusing to send credentials without TLS (use smtps://)")
                }
                let credentials = Data("\0\(username)\0\(configuration.password ?? "")".utf8).base64EncodedString()
                try await session.command("AUTH PLAIN \(credentials)", expect: 235, shownAs: "AUTH PLAIN")
            }
            try await session.command("MAIL FROM:<\(configuration.sender)>", expect: 250)
            try await session.command("RCPT TO:<\(message.recipient)>", expect: 250, 251)
            try await session.command("DATA", expect: 354)
            try await session.command(MailFormat.data(of: message, from: configuration.sender) + ".", expect: 250, shownAs: "message data")
            try? await session.command("QUIT", expect: 221)
        }
    }

    /// One conversation: commands out, numbered replies in.
    private struct Session {
        var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let server: String

        mutating func command(_ text: String, expect codes: Int..., shownAs name: String? = nil) async throws {
            try await outbound.write(ByteBuffer(string: text + "\r\n"))
            try await expect(codes, after: name ?? String(text.prefix { $0 != " " }))
        }

        mutating func expect(_ code: Int, after command: String?) async throws {
            try await expect([code], after: command)
        }

        /// Reads a reply (continuation lines `250-…`, last line `250 …`).
        mutating func expect(_ codes: [Int], after command: String?) async throws {
            while true {
                guard let buffer = try await lines.next() else {
                    throw DeliveryError("SMTP \(server): connection closed\(command.map { " after \($0)" } ?? "")")
                }
                let line = String(buffer: buffer).trimmingCharacters(in: .newlines)
                let code = Int(line.prefix(3)) ?? 0
                if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard codes.contains(code) else {
                    throw DeliveryError("SMTP \(server): \(command ?? "greeting") answered \(line)")
                }
                return
            }
        }
    }
}

/// The message as sent after DATA: headers, blank line, body with CRLF endings and
/// dot-stuffing (RFC 5321 §4.5.2).
enum MailFormat {
    static func data(of message: OutgoingMessage, from sender: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let ascii = message.body.allSatisfy(\.isASCII)
        var headers = [
            "From: \(sender)",
            "To: \(message.recipient)",
            "Subject: \(encodedHeader(message.subject))",
            "Date: \(formatter.string(from: message.createdAt))",
            // Stable across retries: a receiving system can drop a duplicate.
            "Message-ID: <\(message.id)@breachdb>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        let body: String
        if ascii {
            headers.append("Content-Transfer-Encoding: 7bit")
            body = message.body.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        } else {
            headers.append("Content-Transfer-Encoding: base64")
            body = Data(message.body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// RFC 2047 for a subject that is not plain ASCII.
    static func encodedHeader(_ text: String) -> String {
        text.allSatisfy(\.isASCII) ? text : "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}
