// swift-tools-version: 6.1
import PackageDescription

// The in-process benchmarks, a package of their own (as Hummingbird and swift-nio keep
// theirs) so that building BreachDB never builds package-benchmark. Run them through
// tools/bench/run.sh (`index`, `floor`), as every benchmark of docs/benchmarks.md.
let package = Package(
    name: "BreachDBBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "BreachDB", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "IndexBenchmarks",
            dependencies: [
                .product(name: "BreachIndex", package: "BreachDB"),
                .product(name: "BreachHash", package: "BreachDB"),
                .product(name: "SyntheticData", package: "BreachDB"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "IndexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // Single against batch lookups on an existing index, of any size and format.
        executable("LookupTiming", using: "BreachIndex", "BreachHash", "SyntheticData"),
        // Every answer of an index decoded and formatted, in the thread's CPU time.
        executable("RangeFormatterFloor", using: "BreachIndex", "BreachServer"),
        // Sign-in time of unknown logins against wrong passwords, on SQLite on disk.
        executable("SignInTiming", using: "Accounts", "BreachCheck"),
    ]
)

/// A plain executable (no package-benchmark) on BreachDB's `products`, its sources in the
/// folder of its name.
func executable(_ name: String, using products: String...) -> Target {
    .executableTarget(name: name, dependencies: products.map { .product(name: $0, package: "BreachDB") }, path: name)
}
