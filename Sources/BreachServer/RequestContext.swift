import BreachSupport
import Hummingbird
import NIOCore

/// The request context of the daemon: Hummingbird's basics plus the client's address,
/// which rate limiting is keyed on.
public struct BreachRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The client as every limit counts it (trusted proxies' `X-Forwarded-For` followed,
    /// `.unknown` for a Unix-socket peer), resolved once by the request policy before
    /// any route runs.
    public internal(set) var client: ClientAddress = .unknown

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
