import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with a `HotRouteHandler` put in front of its
/// conversion to HTTP types. `setup` is `HTTP1Channel.setup` (Hummingbird 2) with NIO's
/// HTTP/1 handlers added by `addHTTP1Handlers` instead of `configureHTTPServerPipeline`;
/// `handle` is `HTTP1Channel`'s.
struct HotRouteChannel: ServerChildChannel {
    let base: HTTP1Channel
    let routes: HotRouteHandler.Routes

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        channel.eventLoop.makeCompletedFuture {
            let configuration = base.configuration
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            let operations = channel.pipeline.syncOperations
            try Self.addHTTP1Handlers(routes: routes, decoderLimits: limits, to: operations)
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try operations.addHandlers(configuration.additionalChannelHandlers())
            try operations.addHandler(
                HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger))
            return try HTTP1Channel.Value(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// Adds NIO's HTTP/1 response encoder and request decoder, then a `HotRouteHandler`.
    ///
    /// Not `configureHTTPServerPipeline`: the decoder it sets up tells its encoder each
    /// request's method, and the encoder pairs every answer it encodes with the oldest method
    /// told, to send answers to HEAD without their body. The hot routes' answers are written
    /// below the encoder, so it would pair the router's later answers with the wrong
    /// requests: after a hot answer and a HEAD, a GET answered without its body and its
    /// client left waiting (schemathesis found this), and one method kept per hot answer
    /// for the connection's life. The decoder here tells no encoder; the hot-route handler
    /// drops the body of the router's answers to HEAD itself.
    static func addHTTP1Handlers(
        routes: HotRouteHandler.Routes, decoderLimits: NIOHTTPDecoderLimitConfiguration,
        to operations: ChannelPipeline.SynchronousOperations
    ) throws {
        let encoder = HTTPResponseEncoder(configuration: .init())
        try operations.addHandler(encoder)
        try operations.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)))
        try operations.addHandler(
            HotRouteHandler(routes: routes, responseEncoder: try operations.context(handler: encoder)))
    }
}
