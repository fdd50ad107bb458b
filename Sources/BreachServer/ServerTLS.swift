import NIOSSL

/// TLS as OWASP ASVS 12.1 asks: version 1.2 or later, and in 1.2 only suites with forward
/// secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20-Poly1305); every TLS 1.3
/// suite is both.
enum ServerTLS {
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// The server's configuration for a certificate chain and its private key.
    static func configuration(certificates: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        return configuration
    }
}
