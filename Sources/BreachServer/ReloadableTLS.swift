import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The server's TLS context, read from its certificate and key files at start and again at
/// each `reload`. Each new connection takes the context current when it is accepted; those
/// already open keep the one they began with, so a renewed certificate reaches new clients
/// without dropping anyone.
public final class ReloadableTLS: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let context: Mutex<NIOSSLContext>

    /// Reads the certificate chain and key; throws, naming the file, when either cannot be
    /// read or they do not belong together.
    public init(certificatePath: String, keyPath: String) throws(TLSFilesError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        context = Mutex(try Self.context(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The context for a connection accepted now.
    var current: NIOSSLContext { context.withLock { $0 } }

    /// Reads the files again and serves new connections with them; when they cannot be read
    /// or do not belong together, throws and keeps the context it had.
    public func reload() throws(TLSFilesError) {
        let new = try Self.context(certificatePath: certificatePath, keyPath: keyPath)
        context.withLock { $0 = new }
    }

    private static func context(certificatePath: String, keyPath: String) throws(TLSFilesError) -> NIOSSLContext {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSFilesError(file: certificatePath, problem: "cannot read the TLS certificate: \(error)")
        }
        guard !certificates.isEmpty else {
            throw TLSFilesError(file: certificatePath, problem: "no PEM certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSFilesError(file: keyPath, problem: "cannot read the TLS private key: \(error)")
        }
        do {
            return try NIOSSLContext(
                configuration: ServerTLS.configuration(certificates: certificates, key: key))
        } catch {
            throw TLSFilesError(
                file: keyPath, problem: "the private key does not match the certificate \(certificatePath): \(error)")
        }
    }
}

/// A certificate or key file that cannot serve: unreadable, not PEM, or a key that is not
/// the certificate's.
public struct TLSFilesError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}

/// A child channel whose connections begin with a TLS handshake under the context
/// `tls` holds when each is accepted (Hummingbird's `TLSChannel` keeps one context for
/// the server's life).
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let tls: ReloadableTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ServerChildChannel {
    /// This child channel under TLS, with the context `tls` holds when each connection is accepted.
    func withReloadableTLS(_ tls: ReloadableTLS) -> any ServerChildChannel {
        ReloadableTLSChannel(base: self, tls: tls)
    }
}

/// Reads the TLS certificate and key again on SIGHUP, the signal that reloads the index
/// too (`IndexReloader`): a renewed certificate (certbot, cert-manager) is taken up
/// without a restart. Files that fail keep the old certificate, with an error naming the file.
struct TLSReloader: Service {
    let tls: ReloadableTLS
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals { reload() }
        }
    }

    func reload() {
        do {
            try tls.reload()
            logger.info(
                "reloaded the TLS certificate for new connections",
                metadata: ["certificate": "\(tls.certificatePath)", "key": "\(tls.keyPath)"])
        } catch {
            logger.error(
                "refused the new TLS certificate; still serving the old one",
                metadata: ["file": "\(error.file)", "error": "\(error)"])
        }
    }
}
