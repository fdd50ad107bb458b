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
        // Debian C libraries (liblmdb-dev, libxxhash-dev, zlib1g-dev, libssl-dev, libargon2-dev).
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlienc", providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),

        .target(name: "CMemoryHints"),

        // Redaction, durations, progress lines, client addresses, identifiers: what every level
        // uses (Foundation only).
        .target(name: "BreachSupport"),
        // The one way work that holds a thread leaves the cooperative pool (swift-nio's thread pool).
        .target(name: "BlockingWork", dependencies: [.product(name: "NIOPosix", package: "swift-nio")]),
        // The breach checker protocol alone; its implementations live beside what they use.
        .target(name: "BreachCheck"),

        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "BreachHash", dependencies: ["CLibCrypto"]),
        .target(name: "BreachIndex", dependencies: ["LMDB", "BreachHash", "BreachCheck", "CXXHash", "CMemoryHints"]),
        .target(name: "BreachIngest", dependencies: ["BreachIndex", "BreachHash", "BreachSupport", "CZlib"]),
        // The range API's client side: `breachdb download` into an index (AsyncHTTPClient, zlib and
        // brotli decoding) and the remote breach checker.
        .target(
            name: "BreachDownload",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachCheck", "BreachSupport", "CZlib", "CBrotli",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Accounts: the rules (no I/O of their own), then the SQL store and the mail dispatcher.
        .target(
            name: "Accounts",
            dependencies: [
                "BreachCheck", "BreachSupport", "BlockingWork", "CArgon2", "CLibCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "AccountStorage",
            dependencies: [
                "Accounts", "BreachSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "AccountMail",
            dependencies: [
                "Accounts", "BreachSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BreachServer",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachSupport", "BlockingWork", "CZlib", "CBrotli",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The account API as routes on the daemon.
        .target(
            name: "AccountsHTTP",
            dependencies: [
                "Accounts", "BreachServer", "BreachSupport", .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The account flows as pages for people: templates, message catalogues, stylesheet
        // and script as resources, replaceable from a directory (`--pages-directory`).
        .target(
            name: "AccountPages",
            dependencies: [
                "Accounts", "AccountsHTTP", "BreachServer", "BreachSupport", "CLibCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "breachdb",
            dependencies: [
                "BreachSupport", "BreachHash", "BreachIndex", "BreachIngest", "BreachDownload", "BreachServer",
                "Accounts", "AccountStorage", "AccountMail", "AccountsHTTP", "AccountPages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "SyntheticData", dependencies: ["BreachHash"]),
        .executableTarget(
            name: "generate-dump",
            dependencies: [
                "BreachHash", "SyntheticData", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
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
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The account fixture (a store of each kind, a fake clock, a real breach index, a real
        // SMTP server) that the account modules' tests share.
        .target(
            name: "AccountTestSupport",
            dependencies: [
                "Accounts", "AccountStorage", "AccountMail", "BreachCheck", "BreachHash", "BreachIndex",
                "BreachSupport",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/AccountTestSupport"
        ),
        // The account rules, through the service, on each store.
        .testTarget(
            name: "AccountsTests",
            dependencies: [
                "Accounts", "AccountStorage", "AccountMail", "AccountTestSupport", "BreachCheck", "BreachDownload",
                "BreachSupport", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "AccountStorageTests",
            dependencies: [
                "Accounts", "AccountStorage", "AccountTestSupport", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AccountMailTests",
            dependencies: [
                "Accounts", "AccountMail", "AccountTestSupport", "BreachSupport", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "AccountsHTTPTests",
            dependencies: [
                "Accounts", "AccountsHTTP", "AccountStorage", "AccountTestSupport", "BreachHash", "BreachIndex",
                "BreachServer", "BreachSupport", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(name: "AccountPagesTests", dependencies: ["AccountPages"]),
        // Runs the built `breachdb` executable, so it depends on it without importing it.
        .testTarget(name: "BreachDBCommandTests", dependencies: ["TestSupport", "breachdb"]),
    ]
)
