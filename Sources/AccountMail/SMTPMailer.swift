import Accounts
import BreachSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Where and how to send e-mail.
public struct SMTPConfiguration: Sendable {
    /// How the connection is protected. Reset links and device codes travel in these
    /// e-mails, so plain text is only for a development server on this machine.
    public enum Security: Sendable, Equatable {
        /// TLS from the first byte (SMTPS, usually port 465).
        case implicitTLS
        /// Plain connect, then STARTTLS (RFC 3207) before anything else is said: a
        /// server that does not offer it gets no message.
        case startTLS
        /// No TLS at all; allowed only to a loopback address (a local test server).
        case plaintextOnLoopback
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// Whom to trust and how to check the server's certificate (the system's roots and
    /// the host name by default); TLS 1.2 at least, as RFC 8996 leaves 1.0 and 1.1 behind.
    public var tls: TLSConfiguration = {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }()
    /// AUTH PLAIN credentials; sent only over TLS.
    public var username: String?
    public var password: String?
    /// The envelope and `From:` address.
    public var sender: String
    public var timeout: Duration = .seconds(30)

    public init(
        host: String, port: Int, security: Security = .startTLS, username: String? = nil, password: String? = nil,
        sender: String
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.sender = sender
    }

    /// `smtp://[USER:PASSWORD@]HOST[:PORT]` (default port 25, STARTTLS required) or
    /// `smtps://…` (TLS, 465). `allowPlaintextOnLoopback` lets `smtp://` to 127.0.0.1,
    /// ::1 or localhost go without TLS, for a development mail server.
    public init(url: String, sender: String, allowPlaintextOnLoopback: Bool = false) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["smtp", "smtps"].contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            throw DeliveryError(
                "not an SMTP URL (smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465): \(url.split(separator: "@").last ?? "")"
            )
        }
        let security: Security
        if scheme == "smtps" {
            security = .implicitTLS
        } else if allowPlaintextOnLoopback {
            guard Self.isLoopback(host) else {
                throw DeliveryError(
                    "plain-text SMTP is allowed only to a loopback address, not \(host): use STARTTLS or smtps://")
            }
            security = .plaintextOnLoopback
        } else {
            security = .startTLS
        }
        self.init(
            host: host, port: components.port ?? (scheme == "smtps" ? 465 : 25), security: security,
            username: components.user?.removingPercentEncoding, password: components.password?.removingPercentEncoding,
            sender: sender)
    }

    /// By address, not by spelling: `127.0.0.0/8` and `::1` (and `localhost`), never a
    /// name such as `127.mail.example.com` that only starts like one.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = ClientAddress(parsing: host), host.first != "[" || host.last == "]" else { return false }
        let mappedLoopbackIPv4 = UInt128(0xFFFF_7F)  // ::ffff:127.0.0.0/8, above its low 24 bits
        return address.bits == 1 || address.bits >> 24 == mappedLoopbackIPv4
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS, optional AUTH PLAIN, one
/// message per connection. Written here because no SMTP client is among the packages
/// this project may use; it needs only the commands an outbox sends.
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
        let server = "\(configuration.host):\(configuration.port)"
        if configuration.security == .plaintextOnLoopback, !SMTPConfiguration.isLoopback(configuration.host) {
            throw DeliveryError("SMTP \(server): plain text is allowed only to a loopback address")
        }
        let tls =
            try configuration.security == .plaintextOnLoopback ? nil : NIOSSLContext(configuration: configuration.tls)
        let hostname = configuration.host
        let gate = StartTLSGate()
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls, configuration.security == .implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(try Self.tlsHandler(tls, hostname: hostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(SMTPReplyDecoder(gate: gate, server: server)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DeliveryError("SMTP \(server): cannot connect: \(error)")
        }
        let underlying = channel.channel
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(lines: inbound.makeAsyncIterator(), outbound: outbound, server: server, gate: gate)
            try await session.expect(220, after: nil)
            let greeting = ProcessInfo.processInfo.hostName
            let extensions = try await session.command("EHLO \(greeting)", expect: 250)
            if let tls, configuration.security == .startTLS {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw DeliveryError(
                        "SMTP \(server): the server does not offer STARTTLS; refusing to send in plain text")
                }
                gate.awaitReply()
                _ = try await session.command("STARTTLS", expect: 220)
                // In front of the line decoder: every byte from here on is TLS. On the
                // channel's loop, so no plain-text byte slips between the gate and TLS.
                let handler = try Self.tlsHandler(tls, hostname: hostname)
                try await underlying.eventLoop.submit {
                    guard gate.encrypt() else { throw SMTPReplyDecoder.injection(at: server) }
                    try underlying.pipeline.syncOperations.addHandler(handler, position: .first)
                }.get()
                // RFC 3207: forget what was said before TLS and greet again.
                _ = try await session.command("EHLO \(greeting)", expect: 250)
            }
            if let username = configuration.username {
                guard configuration.security != .plaintextOnLoopback else {
                    throw DeliveryError("SMTP \(session.server): refusing to send credentials without TLS")
                }
                let credentials = Data("\0\(username)\0\(configuration.password ?? "")".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(credentials)", expect: 235, shownAs: "AUTH PLAIN")
            }
            _ = try await session.command("MAIL FROM:<\(configuration.sender)>", expect: 250)
            _ = try await session.command("RCPT TO:<\(message.recipient)>", expect: 250, 251)
            _ = try await session.command("DATA", expect: 354)
            _ = try await session.command(
                MailFormat.data(of: message, from: configuration.sender) + ".", expect: 250, shownAs: "message data")
            _ = try? await session.command("QUIT", expect: 221)
        }
    }

    private static func tlsHandler(_ context: NIOSSLContext, hostname: String) throws -> NIOSSLClientHandler {
        // An IP address is checked against the certificate's IP entries, not sent as SNI.
        let isAddress = hostname.contains(":") || hostname.allSatisfy { $0.isNumber || $0 == "." }
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : hostname)
    }

    /// One conversation: commands out, numbered replies in.
    private struct Session {
        var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let server: String
        let gate: StartTLSGate

        /// Sends a command and returns the reply's lines, without their codes.
        mutating func command(_ text: String, expect codes: Int..., shownAs name: String? = nil) async throws
            -> [String]
        {
            try await outbound.write(ByteBuffer(string: text + "\r\n"))
            return try await expect(codes, after: name ?? String(text.prefix { $0 != " " }))
        }

        mutating func expect(_ code: Int, after command: String?) async throws {
            _ = try await expect([code], after: command)
        }

        /// Reads a reply (continuation lines `250-…`, last line `250 …`).
        mutating func expect(_ codes: [Int], after command: String?) async throws -> [String] {
            var reply: [String] = []
            while true {
                guard let buffer = try await lines.next() else {
                    throw DeliveryError("SMTP \(server): connection closed\(command.map { " after \($0)" } ?? "")")
                }
                gate.lineRead()
                let line = String(buffer: buffer).trimmingCharacters(in: .newlines)
                let code = Int(line.prefix(3)) ?? 0
                reply.append(String(line.dropFirst(4)))
                if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard codes.contains(code) else {
                    throw DeliveryError("SMTP \(server): \(command ?? "greeting") answered \(line)")
                }
                return reply
            }
        }
    }
}

/// Where a session is in its upgrade to TLS, shared by the session and its decoder.
final class StartTLSGate: Sendable {
    private enum Phase {
        case plain, awaitingReply, sealed, refused, encrypted
    }
    private struct State {
        var phase = Phase.plain
        /// Lines the decoder passed on, and lines the session read: at the switch to TLS
        /// they must be equal, or lines sent in plain text wait to be read as TLS replies.
        var decoded = 0
        var read = 0
    }
    private let state = Mutex(State())

    /// STARTTLS is being sent: its reply is the last plain text the server may send.
    func awaitReply() { state.withLock { $0.phase = .awaitingReply } }

    /// A reply line arrived; the last line of the STARTTLS reply closes plain text.
    func received(finalLine: Bool) {
        state.withLock { state in
            state.decoded += 1
            if state.phase == .awaitingReply, finalLine { state.phase = .sealed }
        }
    }

    /// The session read a reply line.
    func lineRead() { state.withLock { $0.read += 1 } }

    /// Whether a byte arriving now must be refused (plain text after the STARTTLS reply);
    /// once refused, the session cannot go on to TLS.
    func refusesPlainText() -> Bool {
        state.withLock { state in
            guard state.phase == .sealed || state.phase == .refused else { return false }
            state.phase = .refused
            return true
        }
    }

    /// TLS is in place: what arrives now was decrypted. False unless the STARTTLS reply
    /// arrived after the command and ended plain text with every line read: plain text
    /// after the reply, or lines sent ahead of it (pipelined with an earlier reply), end
    /// the session.
    func encrypt() -> Bool {
        state.withLock { state in
            guard state.phase == .sealed, state.decoded == state.read else {
                state.phase = .refused
                return false
            }
            state.phase = .encrypted
            return true
        }
    }
}

/// SMTP reply lines. Between the STARTTLS reply and TLS, any byte is refused: a server
/// (or someone in the path) that pipelines a reply after "220" in plain text would
/// otherwise have it read as the first reply over TLS (the STARTTLS command-injection
/// class of bug, CVE-2011-0411), so the session ends instead.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let gate: StartTLSGate
    let server: String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !gate.refusesPlainText() else { throw Self.injection(at: server) }
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")),
            let line = buffer.readSlice(length: newline - buffer.readerIndex + 1)
        else { return .needMoreData }
        // "250-…" continues a reply; "250 …" (or a bare code) ends it.
        gate.received(
            finalLine: line.readableBytes < 4 || line.getInteger(at: line.readerIndex + 3) != UInt8(ascii: "-"))
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    static func injection(at server: String) -> DeliveryError {
        DeliveryError(
            "SMTP \(server): the server sent more after its STARTTLS reply, before TLS began; refused (STARTTLS injection)"
        )
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A server that closes without sending more has injected nothing.
        guard buffer.readableBytes > 0 else { return .needMoreData }
        return try decode(context: context, buffer: &buffer)
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
            body = Data(message.body.utf8).base64EncodedString(options: [
                .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
            ])
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// RFC 2047 for a subject that is not plain ASCII.
    static func encodedHeader(_ text: String) -> String {
        text.allSatisfy(\.isASCII) ? text : "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}
