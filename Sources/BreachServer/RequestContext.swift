import Hummingbird
import NIOCore

/// The request context of the daemon: Hummingbird's basics plus the client's address,
/// which rate limiting is keyed on.
public struct BreachRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
