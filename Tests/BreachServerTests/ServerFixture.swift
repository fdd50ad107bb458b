import BreachIndex
import BreachIngest
@testable import BreachServer
import BreachSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport

/// A server over indexes built from the real range files in `data/`.
struct ServerFixture {
    let directory: TemporaryDirectory
    let indexes: ServedIndexes

    /// `prepare` runs on the built files before they are served; `verificationPause`
    /// slows the background verification of their checksums.
    init(ntlm: Bool = true, verificationPause: Duration = .zero, prepare: (TemporaryDirectory) throws -> Void = { _ in }) throws {
        directory = try TemporaryDirectory()
        var sha1 = IngestOptions(output: directory.file("sha1.idx"), inputs: [repositoryRoot + "/data/hibp-range/sha1"])
        sha1.format = .rangeDirectory
        _ = try Ingestor(options: sha1).run()
        var ntlmOptions = IngestOptions(output: directory.file("ntlm.idx"), inputs: [repositoryRoot + "/data/hibp-range/ntlm"])
        ntlmOptions.hashKind = .ntlm
        _ = try Ingestor(options: ntlmOptions).run()
        try prepare(directory)
        indexes = try ServedIndexes(sha1Path: directory.file("sha1.idx"), ntlmPath: ntlm ? directory.file("ntlm.idx") : nil,
                                    logger: Logger(label: "test"), verificationPause: verificationPause)
    }

    func application(allowPlaintext: Bool = true, apiTokens: [String]? = nil, adminTokens: [String]? = nil,
                     requestsPerSecond: Double? = nil, trustedProxies: TrustedProxies = .none,
                     idleTimeout: Duration? = ServerConfiguration().idleTimeout, tls: (String, String)? = nil) throws -> some ApplicationProtocol {
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
        return try makeApplication(indexes: indexes, configuration: configuration, logger: Logger(label: "test"))
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
