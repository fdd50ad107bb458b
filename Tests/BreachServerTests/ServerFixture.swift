import BreachIndex
import BreachIngest
import BreachSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import BreachServer

/// A server over indexes built from the real range files in `data/`.
struct ServerFixture {
    let directory: TemporaryDirectory
    let indexes: ServedIndexes

    /// `prepare` runs on the built files before they are served; `verificationPause`
    /// slows the background verification of their checksums.
    init(
        ntlm: Bool = true, verificationPause: Duration = .zero, prepare: (TemporaryDirectory) throws -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory()
        var sha1 = IngestOptions(output: directory.file("sha1.idx"), inputs: [repositoryRoot + "/data/hibp-range/sha1"])
        sha1.format = .rangeDirectory
        _ = try Ingestor(options: sha1).run()
        var ntlmOptions = IngestOptions(
            output: directory.file("ntlm.idx"), inputs: [repositoryRoot + "/data/hibp-range/ntlm"])
        ntlmOptions.hashKind = .ntlm
        _ = try Ingestor(options: ntlmOptions).run()
        try prepare(directory)
        indexes = try ServedIndexes(
            sha1Path: directory.file("sha1.idx"), ntlmPath: ntlm ? directory.file("ntlm.idx") : nil,
            logger: Logger(label: "test"), verificationPause: verificationPause)
    }

    func application(
        allowPlaintext: Bool = true, apiTokens: [String]? = nil, adminTokens: [String]? = nil,
        requestsPerSecond: Double? = nil, trustedProxies: TrustedProxies = .none,
        idleTimeout: Duration? = ServerConfiguration().idleTimeout, tls: (String, String)? = nil,
        rangeCache: RangeCache = RangeCache(capacity: ServerConfiguration().rangeCacheBytes),
        connectionLimits: ConnectionLimits = ServerConfiguration().connectionLimits
    ) throws -> some ApplicationProtocol {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.allowPlaintext = allowPlaintext
        configuration.reloadInterval = nil
        configuration.apiTokens = apiTokens
        configuration.adminTokens = adminTokens
        configuration.requestsPerSecond = requestsPerSecond
        configuration.trustedProxies = trustedProxies
        configuration.idleTimeout = idleTimeout
        configuration.tls = tls
        configuration.connectionLimits = connectionLimits
        return try makeApplication(
            indexes: indexes, configuration: configuration, logger: Logger(label: "test"), rangeCache: rangeCache)
    }
}

extension ServerFixture {
    /// Sends `request` as raw bytes to a fresh live server (the default fixture) on a new
    /// connection and reads until the server closes it.
    static func exchange(_ request: String) async throws -> String {
        try await ServerFixture().application().test(.live) { client in try await client.exchange(request) }
    }

    /// Sends `request` as raw bytes to a fresh live server (the default fixture) on a new
    /// connection and reads until the server closes it or `limit` passes; `closed` says
    /// whether the server did.
    static func exchange(_ request: String, closedWithin limit: TimeAmount) async throws -> (
        response: String, closed: Bool
    ) {
        try await ServerFixture().application().test(.live) { client in
            try await BreachServerTests.exchange(request, port: try #require(client.port), closedWithin: limit)
        }
    }
}

/// Who answers a request: the hot-route handler on the event loop, as for any request on
/// a live server's connection, or the router, as for a request that arrives behind one the
/// router is still answering. `/range` and `/v1/check` must answer the same either way.
enum AnsweredBy: String, CaseIterable, Sendable, CustomStringConvertible {
    case hotRoutes
    case router

    var setup: TestingSetup { self == .hotRoutes ? .live : .router }
    var description: String { rawValue }
}

extension TestClientProtocol {
    func json(_ uri: String, _ body: String, contentType: String = "application/json") async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
    }
}

func lines(_ response: TestResponse) -> [Substring] {
    String(buffer: response.body).split(separator: "\r\n", omittingEmptySubsequences: false)
}

extension AnsweredBy {
    /// `request` (raw HTTP/1) sent so that this path answers it on a live server: behind a
    /// request the router answers (`/healthz`, which no rate limit charges), it waits for the
    /// router, which then answers it too.
    func raw(_ request: String) -> String {
        self == .router ? "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" + request : request
    }

    /// The head of this path's answer to `request` (raw HTTP/1, sent as ``raw(_:)`` sends
    /// it) from the live server of `client`, read until the server closes the connection.
    func answerHead(
        to request: String, from client: some TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let heads = answerHeads(try await client.exchange(raw(request)))
        // The router's path answers its `/healthz` first: one head more.
        try #require(heads.count == (self == .router ? 2 : 1), "heads: \(heads)", sourceLocation: sourceLocation)
        return heads[heads.count - 1]
    }

    /// The answer to one GET of `uri` from a fresh server (the default fixture), by this path.
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        let fixture = try ServerFixture()
        return try await fixture.application().test(setup) { client in
            try await client.execute(uri: uri, method: .get, headers: headers)
        }
    }

    /// The answer to one POST of `body` to `uri` on a fresh server (the default fixture), by this path.
    func post(_ uri: String, _ body: String, contentType: String = "application/json") async throws -> TestResponse {
        let fixture = try ServerFixture()
        return try await fixture.application().test(setup) { client in
            try await client.json(uri, body, contentType: contentType)
        }
    }
}

extension TestClientProtocol {
    /// Sends `request` as raw bytes to this live server on a new connection and reads until
    /// the server closes it.
    func exchange(_ request: String) async throws -> String {
        try await BreachServerTests.exchange(request, port: try #require(port))
    }
}

/// Sends `request` as raw bytes on a new connection and reads until the server closes it.
func exchange(_ request: String, port: Int) async throws -> String {
    try await exchange(request, port: port, closedWithin: .seconds(3600)).response
}

/// Sends `request` as raw bytes on a new connection and reads until the server closes it or
/// `limit` passes (the client then closes it); `closed` says whether the server did. A reset
/// is a close too: a server that closes before reading all that was sent resets the
/// connection, as one whose idle timeout fires before a busy event loop read the request does.
func exchange(_ request: String, port: Int, closedWithin limit: TimeAmount) async throws -> (
    response: String, closed: Bool
) {
    let connection = try await connect(port: port)
    final class Flag: Sendable { let isSet = Atomic(false) }
    let timedOut = Flag()
    let timer = connection.channel.eventLoop.scheduleTask(in: limit) {
        timedOut.isSet.store(true, ordering: .relaxed)
        connection.channel.close(promise: nil)
    }
    var response = ""
    do {
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            for try await chunk in inbound { response += String(buffer: chunk) }
        }
    } catch ChannelError.alreadyClosed, ChannelError.ioOnClosedChannel {
    } catch let error as IOError where error.errnoCode == ECONNRESET {}
    timer.cancel()
    return (response, !timedOut.isSet.load(ordering: .relaxed))
}

func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
}

/// One HTTP response split at the blank line after its header fields.
func headAndBody(_ response: String) -> (head: String, body: String) {
    guard let blank = response.range(of: "\r\n\r\n") else { return (response, "") }
    return (String(response[..<blank.lowerBound]), String(response[blank.upperBound...]))
}

/// The status lines and header fields of every answer in `response`, in order.
func answerHeads(_ response: String) -> [String] {
    response.components(separatedBy: "HTTP/1.").dropFirst().map { "HTTP/1." + headAndBody($0).head }
}
