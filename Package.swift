// swift-tools-version: 6.1
import PackageDescription

// The pipeline, bottom to top: C libraries → LMDB wrapper and hashes → index format
// (BreachIndex) → ingest (BreachIngest) → breach checks (BreachCheck) → daemon
// (BreachServer) → accounts (Accounts, AccountStorage, AccountMail) → the `breachdb` command.
let package = Package(
    name: "BreachDB",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BreachIndex", targets: ["BreachIndex"]),
        .library(name: "BreachIngest", targets: ["BreachIngest"]),
        .library(name: "BreachHash", targets: ["BreachHash"]),
        .library(name: "BreachServer", targets: ["BreachServer"]),
        .library(name: "BreachCheck", targets: ["BreachCheck"]),
        .library(name: "Accounts", targets: ["Accounts", "AccountStorage", "AccountMail"]),
        .executable(name: "breachdb", targets: ["breachdb"]),
        .executable(name: "generate-dump", targets: ["generate-dump"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
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

        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "BreachHash", dependencies: ["CLibCrypto"]),
        .target(name: "BreachIndex", dependencies: ["LMDB", "BreachHash", "CXXHash", "CMemoryHints"],
                swiftSettings: hotPathSettings),
        .target(name: "BreachIngest", dependencies: ["BreachIndex", "BreachHash", "CZlib"],
                swiftSettings: hotPathSettings),
        // `breachdb download`: the range API into an index (AsyncHTTPClient, zlib and brotli decoding).
        .target(
            name: "BreachDownload",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachIngest", "BreachCheck", "CZlib", "CBrotli",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "BreachCheck",
            dependencies: [
                "BreachIndex", "BreachHash",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Accounts: the rules (no I/O of their own), then the SQL store and the mail dispatcher.
        .target(
            name: "Accounts",
            dependencies: ["BreachCheck", "CArgon2", "CLibCrypto", .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .target(
            name: "AccountStorage",
            dependencies: [
                "Accounts", "BreachCheck",
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
                "Accounts", "BreachCheck",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BreachServer",
            dependencies: [
                "BreachIndex", "BreachHash", "BreachCheck", "Accounts", "CZlib", "CBrotli",
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
        .executableTarget(
            name: "breachdb",
            dependencies: [
                "BreachIndex", "BreachIngest", "BreachDownload", "BreachServer", "BreachCheck", "Accounts", "AccountStorage", "AccountMail",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "SyntheticData", dependencies: ["BreachHash"]),
        .executableTarget(
            name: "generate-dump",
            dependencies: ["BreachHash", "SyntheticData", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/generate-dump"
        ),

        // Speed, measured in release builds: `swift package benchmark` (docs/benchmarks.md).
        .executableTarget(
            name: "IndexBenchmarks",
            dependencies: ["BreachIndex", "BreachHash", "SyntheticData", .product(name: "Benchmark", package: "package-benchmark")],
            path: "Benchmarks/IndexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),

        .target(name: "TestSupport", dependencies: ["BreachIndex", "SyntheticData"], path: "Tests/TestSupport"),
        .testTarget(name: "BreachHashTests", dependencies: ["BreachHash"]),
        .testTarget(name: "BreachIndexTests", dependencies: ["BreachIndex", "TestSupport"]),
        .testTarget(name: "BreachIngestTests", dependencies: ["BreachIngest", "BreachIndex", "TestSupport"]),
        .testTarget(name: "BreachDownloadTests", dependencies: ["BreachDownload", "BreachIndex", "BreachHash"]),
        .testTarget(
            name: "BreachServerTests",
            dependencies: [
                "BreachServer", "BreachIndex", "BreachCheck", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AccountsTests",
            dependencies: [
                "Accounts", "AccountStorage", "AccountMail", "BreachCheck", "BreachServer", "BreachIndex", "BreachHash", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "BreachDBCommandTests", dependencies: ["BreachIndex", "BreachHash", "TestSupport", "breachdb"]),
    ]
)

/// The ingest's writer thread spent ≈15 % of its time in the runtime's exclusivity checks
/// on class properties (`swift_beginAccess`, perf of a 20M-line ingest). Release builds of
/// the two hot modules leave them out; debug builds, and so the tests, keep them.
var hotPathSettings: [SwiftSetting] {
    [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
}
