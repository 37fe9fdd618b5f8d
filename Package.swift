// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "zephir-models",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "zephir-models", targets: ["ZephirModelsCLI"]),
        .executable(name: "zephir-models-bench", targets: ["ZephirBench"]),
        .library(name: "ZephirCore", targets: ["ZephirCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // libyaml's event parser, from Debian's libyaml-dev: we build our own bounded node tree on it.
        .systemLibrary(
            name: "CLibYAML",
            path: "Sources/CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // libarchive, from Debian's libarchive-dev: bundles carried as one .tar or .tar.gz (SPEC §5.2),
        // read as a stream and written, without a tar parser of our own.
        .systemLibrary(
            name: "CLibArchive",
            path: "Sources/CLibArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // One system call Glibc's Swift overlay does not expose (renameat2), for atomic publishing; the
        // daemon's termination signal handler.
        .target(name: "CSupport", path: "Sources/CSupport"),
        .target(
            name: "ZephirCore",
            dependencies: [
                "CLibYAML", "CLibArchive", "CSupport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Core"
        ),
        .target(name: "EOLESource", dependencies: ["ZephirCore"], path: "Sources/Sources-EOLE"),
        .target(name: "ExternalSource", dependencies: ["ZephirCore"], path: "Sources/Sources-External"),
        .target(name: "FakeSource", dependencies: ["ZephirCore"], path: "Sources/Sources-Fake"),
        .target(
            name: "SQLiteStore",
            dependencies: ["ZephirCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            path: "Sources/Store-SQLite"
        ),
        .target(
            name: "PostgresStore",
            dependencies: ["ZephirCore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Sources/Store-Postgres"
        ),
        // Running as a service and being watched (SPEC §9): metrics through swift-metrics, exported in
        // Prometheus' text format, served over HTTP with /healthz; the daemon on swift-service-lifecycle.
        .target(
            name: "ZephirOperations",
            dependencies: [
                "ZephirCore", "CSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Operations"
        ),
        .executableTarget(
            name: "ZephirModelsCLI",
            dependencies: [
                "ZephirCore", "ZephirOperations", "EOLESource", "ExternalSource", "FakeSource", "SQLiteStore", "PostgresStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/CLI"
        ),
        // What the test targets share (swift-nio's NIOTestUtils is the model): a seeded random
        // stream, temporary folders, a process runner for the built executable, the local test
        // servers, psql.
        .target(name: "ZephirTestSupport", dependencies: ["ZephirCore"], path: "Tests/Support"),
        .testTarget(name: "CoreTests", dependencies: ["ZephirCore", "FakeSource", "ZephirTestSupport"], path: "Tests/CoreTests",
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FakeSourceTests", dependencies: ["FakeSource", "ZephirCore", "ZephirTestSupport"], path: "Tests/FakeSourceTests"),
        // The benchmark of docs/performance.md: its own executable, run in release mode.
        .executableTarget(
            name: "ZephirBench",
            dependencies: ["ZephirCore", "FakeSource", "SQLiteStore", "EOLESource", "CLibYAML",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            path: "Sources/Benchmark"
        ),
        .testTarget(name: "StoreTests", dependencies: ["ZephirCore", "SQLiteStore", "PostgresStore", "ZephirTestSupport",
                                                   .product(name: "GRDB", package: "GRDB.swift"),
                                                   .product(name: "PostgresNIO", package: "postgres-nio")],
                    path: "Tests/StoreTests"),
        .testTarget(name: "TrustTests", dependencies: ["ZephirCore", "FakeSource", "ZephirTestSupport", "SQLiteStore", "EOLESource",
                                                      .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                      .product(name: "NIOCore", package: "swift-nio")], path: "Tests/TrustTests"),
        // The carriers of SPEC §5.2 against real servers (Debian's docker-registry for OCI).
        .testTarget(name: "CarrierTests", dependencies: ["ZephirCore", "FakeSource", "ZephirTestSupport"], path: "Tests/CarrierTests"),
        .testTarget(name: "EndToEndTests", dependencies: ["ZephirCore", "FakeSource", "ZephirTestSupport"], path: "Tests/EndToEndTests"),
        .testTarget(name: "OperationsTests", dependencies: ["ZephirOperations", "ZephirCore", "SQLiteStore", "FakeSource", "ZephirTestSupport",
                                                           .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
                    path: "Tests/OperationsTests"),
    ]
)
