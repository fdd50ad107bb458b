// swift-tools-version: 6.1
import PackageDescription

// The pipeline, top to bottom; every dependency points down it (the README's "Layout"):
//   breachdb                        the command: composes everything below
//   AccountsHTTP, AccountPages      → Accounts, BreachServer (the JSON API; the same flows as pages)
//   AccountStorage, AccountMail     → Accounts
//   Accounts                        → BreachCheck (the protocol alone: no LMDB, no HTTP client)
//   BreachServer                    → BreachIndex
//   BreachIngest, BreachDownload    → BreachIndex
//   BreachIndex                     → LMDB, BreachHash, BreachCheck
//   LMDB, BreachHash, BreachCheck, BreachSupport, BlockingWork, the C libraries: the bottom.
// Benchmarks are a package of their own (Benchmarks/Package.swift), so that no consumer
// of these libraries builds package-benchmark.
let package = Package(
    name: "BreachDB",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BreachSupport", targets: ["BreachSupport"]),
        .library(name: "BlockingWork", targets: ["BlockingWork"]),
        .library(name: "BreachCheck", targets: ["BreachCheck"]),
        .library(name: "BreachHash", targets: ["BreachHash"]),
        .library(name: "BreachIndex", targets: ["BreachIndex"]),
        .library(name: "BreachIngest", targets: ["BreachIngest"]),
        .library(name: "BreachDownload", targets: ["BreachDownload"]),
        .library(name: "BreachServer", targets: ["BreachServer"]),
        .library(
            name: "Accounts", targets: ["Accounts", "AccountStorage", "AccountMail", "AccountsHTTP", "AccountPages"]),
        .library(name: "SyntheticData", targets: ["SyntheticData"]),
        .executable(name: "breachdb", targets: ["breachdb"]),
        .executable(name: "generate-dump", targets: ["generate-dump"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // Debian C libraries (liblmdb-dev, libxxhash-dev, zlib1g-dev, libdeflate-dev, libbrotli-dev, libssl-dev,
        // libargon2-dev).
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libdeflate for its CRC-32 only (by carry-less multiplication: 3–4× zlib 1.2's).
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlidec", providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),

        .target(name: "CMemoryHints"),

        // Redaction, durations, progress lines, client addresses, identifiers: what every level
        // uses (Foundation only).
        .target(name: "BreachSupport"),
        // The one way work that holds a thread leaves the cooperative pool (swift-nio's thread pool).
        .target(name: "BlockingWork", dependencies: [.nioPosix]),
        // The breach checker protocol alone; its implementations live beside what they use.
        .target(name: "BreachCheck"),

        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "BreachHash", dependencies: ["CLibCrypto"]),
        .target(
            name: "BreachIndex",
            dependencies: ["LMDB", "BreachHash", "BreachCheck", "BreachSupport", "CXXHash", "CMemoryHints"]),
        .target(name: "BreachIngest", dependencies: ["BreachIndex", "BreachHash", "BreachSupport", "CZlib"]),
        // The range API's client side: `breachdb download` into an index (AsyncHTTPClient, zlib and
        // brotli decoding) and the remote breach checker.
        .target(
            name: "BreachDownload",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachCheck", "BreachSupport", "CZlib", "CBrotli", .asyncHTTPClient,
                .nioCore, .nioHTTP1, .nioSSL,
            ]
        ),
        // Accounts: the rules (no I/O of their own), then the SQL store and the mail dispatcher.
        .target(
            name: "Accounts",
            dependencies: [
                "BreachCheck", "BreachSupport", "BlockingWork", "CArgon2", "CLibCrypto", .crypto, .logging, .nioCore,
            ]
        ),
        .target(
            name: "AccountStorage",
            dependencies: [
                "Accounts", "BreachSupport", .crypto, .nioCore, .sqliteNIO, .postgresNIO, .nioSSL, .logging,
                .serviceLifecycle,
            ]
        ),
        .target(
            name: "AccountMail",
            dependencies: [
                "Accounts", "BreachSupport", .nioCore, .nioPosix, .nioSSL, .asyncHTTPClient, .serviceLifecycle,
                .logging,
            ]
        ),
        .target(
            name: "BreachServer",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachSupport", "BlockingWork", "CDeflate",
                .hummingbird,
                .hummingbirdCore, .hummingbirdTLS, .nioSSL, .httpTypes, .nioCore, .nioHTTP1, .nioHTTPTypesHTTP1,
                .logging, .serviceLifecycle, .unixSignals, .prometheus, .metrics,
            ]
        ),
        // The account API as routes on the daemon.
        .target(
            name: "AccountsHTTP",
            dependencies: ["Accounts", "BreachServer", "BreachSupport", .hummingbird]
        ),
        // The account flows as pages for people: templates, message catalogues, stylesheet
        // and script as resources, replaceable from a directory (`--pages-directory`).
        .target(
            name: "AccountPages",
            dependencies: [
                "Accounts", "AccountsHTTP", "BreachServer", "BreachSupport", "CLibCrypto", .hummingbird, .mustache,
                .httpTypes,
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "breachdb",
            dependencies: [
                "BreachSupport", "BreachHash", "BreachIndex", "BreachIngest", "BreachDownload", "BreachServer",
                "Accounts", "AccountStorage", "AccountMail", "AccountsHTTP", "AccountPages", .argumentParser,
                .hummingbird, .logging, .configuration, .systemPackage, .serviceLifecycle,
            ]
        ),
        .target(name: "SyntheticData", dependencies: ["BreachHash"]),
        .executableTarget(
            name: "generate-dump",
            dependencies: ["BreachHash", "SyntheticData", .argumentParser],
            path: "tools/generate-dump"
        ),

        .target(
            name: "TestSupport", dependencies: ["BreachIndex", "BreachHash", "SyntheticData"], path: "Tests/TestSupport"
        ),
        .testTarget(name: "BreachSupportTests", dependencies: ["BreachSupport"]),
        .testTarget(name: "BlockingWorkTests", dependencies: ["BlockingWork"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "CLMDB", "TestSupport"]),
        .testTarget(name: "BreachHashTests", dependencies: ["BreachHash"]),
        .testTarget(name: "BreachIndexTests", dependencies: ["BreachIndex", "BreachHash", "TestSupport"]),
        .testTarget(
            name: "BreachIngestTests", dependencies: ["BreachIngest", "BreachIndex", "BreachHash", "TestSupport"]),
        .testTarget(name: "BreachDownloadTests", dependencies: ["BreachDownload", "BreachIndex"]),
        .testTarget(
            name: "BreachServerTests",
            dependencies: [
                "BreachServer", "BreachIndex", "BreachIngest", "BreachHash", "BreachDownload", "BreachSupport",
                "TestSupport", "SyntheticData", .hummingbird, .metrics, .hummingbirdTesting, .httpTypes, .logging,
                .nioCore, .nioPosix, .nioEmbedded, .nioHTTP1,
            ]
        ),
        // The account fixture (a store of each kind, a fake clock, a real breach index, a real
        // SMTP server) that the account modules' tests share.
        .target(
            name: "AccountTestSupport",
            dependencies: [
                "Accounts", "AccountStorage", "AccountMail", "BreachCheck", "BreachHash", "BreachIndex",
                "BreachSupport", "TestSupport", .logging, .postgresNIO, .serviceLifecycle,
            ],
            path: "Tests/AccountTestSupport"
        ),
        // The account rules, through the service, on each store.
        .testTarget(
            name: "AccountsTests",
            dependencies: [
                "Accounts", "AccountStorage", "AccountMail", "AccountTestSupport", "BreachCheck", "BreachDownload",
                "BreachSupport", "TestSupport", .crypto,
            ]
        ),
        .testTarget(
            name: "AccountStorageTests",
            dependencies: ["Accounts", "AccountStorage", "AccountTestSupport", "TestSupport", .logging]
        ),
        .testTarget(
            name: "AccountMailTests",
            dependencies: [
                "Accounts", "AccountMail", "AccountTestSupport", "BreachSupport", "TestSupport", .hummingbird,
                .hummingbirdTesting, .nioSSL,
            ]
        ),
        .testTarget(
            name: "AccountsHTTPTests",
            dependencies: [
                "Accounts", "AccountsHTTP", "AccountStorage", "AccountTestSupport", "BreachHash", "BreachIndex",
                "BreachServer", "BreachSupport", "TestSupport", .hummingbird, .hummingbirdTesting, .httpTypes,
            ]
        ),
        .testTarget(name: "AccountPagesTests", dependencies: ["AccountPages"]),
        // Runs the built `breachdb` executable, so it depends on it without importing it.
        .testTarget(name: "BreachDBCommandTests", dependencies: ["TestSupport", "breachdb"]),
    ]
)

// The products this package uses, each named once.
extension Target.Dependency {
    static var asyncHTTPClient: Self { .product(name: "AsyncHTTPClient", package: "async-http-client") }
    static var hummingbird: Self { .product(name: "Hummingbird", package: "hummingbird") }
    static var hummingbirdCore: Self { .product(name: "HummingbirdCore", package: "hummingbird") }
    static var hummingbirdTLS: Self { .product(name: "HummingbirdTLS", package: "hummingbird") }
    static var hummingbirdTesting: Self { .product(name: "HummingbirdTesting", package: "hummingbird") }
    static var postgresNIO: Self { .product(name: "PostgresNIO", package: "postgres-nio") }
    static var sqliteNIO: Self { .product(name: "SQLiteNIO", package: "sqlite-nio") }
    static var argumentParser: Self { .product(name: "ArgumentParser", package: "swift-argument-parser") }
    static var configuration: Self { .product(name: "Configuration", package: "swift-configuration") }
    static var crypto: Self { .product(name: "Crypto", package: "swift-crypto") }
    static var httpTypes: Self { .product(name: "HTTPTypes", package: "swift-http-types") }
    static var logging: Self { .product(name: "Logging", package: "swift-log") }
    static var metrics: Self { .product(name: "Metrics", package: "swift-metrics") }
    static var mustache: Self { .product(name: "Mustache", package: "swift-mustache") }
    static var nioCore: Self { .product(name: "NIOCore", package: "swift-nio") }
    static var nioEmbedded: Self { .product(name: "NIOEmbedded", package: "swift-nio") }
    static var nioHTTP1: Self { .product(name: "NIOHTTP1", package: "swift-nio") }
    static var nioPosix: Self { .product(name: "NIOPosix", package: "swift-nio") }
    static var nioHTTPTypesHTTP1: Self { .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras") }
    static var nioSSL: Self { .product(name: "NIOSSL", package: "swift-nio-ssl") }
    static var prometheus: Self { .product(name: "Prometheus", package: "swift-prometheus") }
    static var serviceLifecycle: Self { .product(name: "ServiceLifecycle", package: "swift-service-lifecycle") }
    static var unixSignals: Self { .product(name: "UnixSignals", package: "swift-service-lifecycle") }
    static var systemPackage: Self { .product(name: "SystemPackage", package: "swift-system") }
}
