import Foundation
import NIOSSL
import TestSupport
import Testing

@testable import BreachServer

/// Issue 20, finding 5: the TLS certificate and key are read again on SIGHUP, for new
/// connections; files that cannot serve keep the old ones. (Through the daemon, with a
/// real TLS client and SIGHUP: Tests/clients/test_tls_reload.py.)
@Suite struct TLSReloadTests {
    /// A self-signed certificate for `name` and its key, written to `certificate` and `key`.
    func makeCertificate(_ name: String, certificate: String, key: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "1", "-subj", "/CN=\(name)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
    }

    /// A `ReloadableTLS` over a certificate for a.test and its key, in a new directory.
    func servingACertificate() throws -> (TemporaryDirectory, ReloadableTLS) {
        let directory = try TemporaryDirectory()
        let certificate = directory.file("cert.pem"), key = directory.file("key.pem")
        try makeCertificate("a.test", certificate: certificate, key: key)
        return (directory, try ReloadableTLS(certificatePath: certificate, keyPath: key))
    }

    @Test func aReloadServesTheNewCertificateToNewConnections() throws {
        let (directory, tls) = try servingACertificate()
        let certificate = tls.certificatePath, key = tls.keyPath
        let first = tls.current
        try makeCertificate("b.test", certificate: certificate, key: key)
        try tls.reload()
        #expect(tls.current !== first)
        withExtendedLifetime(directory) {}
    }

    @Test func aKeyNotTheCertificatesKeepsTheOldOneAndNamesTheKeyFile() throws {
        let (directory, tls) = try servingACertificate()
        let certificate = tls.certificatePath, key = tls.keyPath
        let served = tls.current
        // A renewal that replaced the certificate and not yet the key.
        try makeCertificate("b.test", certificate: certificate, key: directory.file("other-key.pem"))
        let error = #expect(throws: TLSFilesError.self) { try tls.reload() }
        #expect(error?.file == key)
        #expect(error?.description.contains("does not match the certificate \(certificate)") == true)
        #expect(tls.current === served)
    }

    @Test func anUnreadableCertificateKeepsTheOldOneAndNamesTheFile() throws {
        let (directory, tls) = try servingACertificate()
        let certificate = tls.certificatePath
        let served = tls.current
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: certificate))
        let error = #expect(throws: TLSFilesError.self) { try tls.reload() }
        #expect(error?.file == certificate)
        #expect(tls.current === served)
        try FileManager.default.removeItem(atPath: certificate)
        #expect(throws: TLSFilesError.self) { try tls.reload() }
        #expect(tls.current === served)
        withExtendedLifetime(directory) {}
    }
}
