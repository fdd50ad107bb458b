import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with a `HotRouteHandler` put in front of its
/// conversion to HTTP types. The connection is set up by `HTTP1Channel` itself (its `setup`
/// and `handle`, so whatever Hummingbird adds to its pipeline applies here too), then its
/// request decoder is swapped for one that tells no encoder and the hot-route handler is
/// added after it (`putHotRoutes`). Written against Hummingbird 2.28.1, whose `setup` runs
/// NIO's `configureHTTPServerPipeline` (response encoder, then request decoder), then
/// `HTTP1ToHTTPServerCodec`, the additional handlers and `HTTPConnectionStateHandler`: if a
/// later version sets up no such decoder, `putHotRoutes` throws and every connection fails
/// to open, which the tests catch.
///
/// Why not `HTTP1Channel.Configuration.additionalChannelHandlers`: those sit after the
/// conversion to HTTP types, the cost the hot-route handler exists to avoid.
struct HotRouteChannel: ServerChildChannel {
    let base: HTTP1Channel
    let routes: HotRouteHandler.Routes

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let decoder = base.configuration.httpDecoder
        let routes = routes
        return base.setup(channel: channel, logger: logger).flatMap { value in
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = decoder.maxHeaderFieldSize
            limits.maxHeaderListSize = decoder.maxHeaderListSize
            limits.maxHeaderFieldCount = decoder.maxHeaderFieldCount
            do {
                try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeMarks)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return Self.putHotRoutes(routes: routes, decoderLimits: limits, in: channel.pipeline.syncOperations)
                .map { value }
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// The channel's write buffer marks. A range answer at the real density (≈74 KB plain)
    /// passes NIO's default high mark (64 KiB), so each would make the channel unwritable
    /// and writable again: two events through the pipeline to Hummingbird's response writer,
    /// ≈3 % of a plain answer's CPU (docs/benchmarks.md). The hot routes bound what they
    /// queue by answers (`HotRouteHandler.maximumQueuedAnswers`); the router's writer waits
    /// past the high mark, so a client that does not read holds at most about that much here,
    /// and goes on once less than an answer is left (the low mark, NIO's default 32 KiB).
    static let writeMarks = ChannelOptions.Types.WriteBufferWaterMark(low: 32 << 10, high: 160 << 10)

    /// Swaps the request decoder NIO's `configureHTTPServerPipeline` set up for one that
    /// tells no encoder, and adds a `HotRouteHandler` after it.
    ///
    /// The decoder `configureHTTPServerPipeline` sets up tells its encoder each request's
    /// method, and the encoder pairs every answer it encodes with the oldest method told, to
    /// send answers to HEAD without their body. The hot routes' answers are written below the
    /// encoder, so it would pair the router's later answers with the wrong requests: after a
    /// hot answer and a HEAD, a GET answered without its body and its client left waiting
    /// (schemathesis found this), and one method kept per hot answer for the connection's
    /// life. The hot-route handler drops the body of the router's answers to HEAD itself.
    static func putHotRoutes(
        routes: HotRouteHandler.Routes, decoderLimits: NIOHTTPDecoderLimitConfiguration,
        in operations: ChannelPipeline.SynchronousOperations
    ) -> EventLoopFuture<Void> {
        let encoder: HTTPResponseEncoder
        let telling: ChannelHandlerContext
        do {
            encoder = try operations.handler(type: HTTPResponseEncoder.self)
            telling = try operations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        } catch {
            return operations.eventLoop.makeFailedFuture(error)
        }
        // A decoder leaves the pipeline on the event loop's next turn; the connection is read
        // only once `setup`'s future completes.
        return operations.removeHandler(context: telling).assumeIsolated().flatMapThrowing {
            let decoder = ByteToMessageHandler(
                HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits))
            try operations.addHandler(decoder, position: .after(encoder))
            try operations.addHandler(
                HotRouteHandler(routes: routes, responseEncoder: try operations.context(handler: encoder)),
                position: .after(decoder))
        }.nonisolated()
    }
}
