import BreachSupport

/// Where an administrator's request came from, for the audit log: the client as the
/// server resolved it for its limits (``ClientAddress``: behind trusted proxies, the
/// client they name) and the `User-Agent` it sent, cut to a bounded length.
public struct RequestOrigin: Sendable, Equatable {
    /// Longer agents are cut: the header is the client's to fill, and the audit log keeps it.
    public static let maximumUserAgentLength = 256

    /// A library caller's or a test's request: no address, no agent.
    public static let unknown = RequestOrigin(client: nil, userAgent: nil)

    /// `nil` when the request had no address (a Unix-socket peer, a proxy that named none).
    public let clientAddress: String?
    public let userAgent: String?

    /// The origin of a request from `client` (as the server resolved it) that sent `userAgent`.
    public init(client: ClientAddress?, userAgent: String?) {
        self.init(clientAddress: client.flatMap { $0 == .unknown ? nil : $0.description }, userAgent: userAgent)
    }

    /// An origin as the audit log stores it; the agent is cleaned and cut as on the way in.
    public init(clientAddress: String?, userAgent: String?) {
        self.clientAddress = clientAddress
        // Control and format characters would let a client forge lines or hide text
        // in whatever shows the log.
        self.userAgent = userAgent.map { agent in
            var kept = String.UnicodeScalarView()
            for scalar in agent.unicodeScalars where !Self.hidden.contains(scalar.properties.generalCategory) {
                guard kept.count < Self.maximumUserAgentLength else { break }
                kept.append(scalar)
            }
            return String(kept)
        }
    }

    private static let hidden: Set<Unicode.GeneralCategory> = [
        .control, .format, .lineSeparator, .paragraphSeparator,
    ]
}
