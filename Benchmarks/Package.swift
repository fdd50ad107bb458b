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
        // Every answer of an index decoded and formatted, in the thread's CPU time.
        .executableTarget(
            name: "RangeFormatterFloor",
            dependencies: [
                .product(name: "BreachIndex", package: "BreachDB"),
                .product(name: "BreachServer", package: "BreachDB"),
            ],
            path: "RangeFormatterFloor"
        ),
        // Sign-in time of unknown logins against wrong passwords, on SQLite on disk.
        .executableTarget(
            name: "SignInTiming",
            dependencies: [
                .product(name: "Accounts", package: "BreachDB"),
                .product(name: "BreachCheck", package: "BreachDB"),
            ],
            path: "SignInTiming"
        ),
    ]
)
