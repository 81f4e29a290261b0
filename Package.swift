// swift-tools-version:6.0
import PackageDescription

// The gRPC stack of the Storage Write API client; only BigQueryStorageWrite and its test support use it.
let grpcDependencies: [Target.Dependency] = [
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
]

let package = Package(
    name: "Spool",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Spool", targets: ["Spool"]),
        .executable(name: "spoolctl", targets: ["spoolctl"]),
        .executable(name: "spool-bench", targets: ["spool-bench"]),
        .executable(name: "spool-torture", targets: ["spool-torture"]),
        // Loopback HTTP server, BigQuery stub and emulator helpers for the example server's tests.
        .library(name: "SpoolTestSupport", targets: ["SpoolTestSupport"]),
        // The C ABI (include/spool.h) for any language: libSpoolC.so, which the Python module `spool` loads.
        .library(name: "SpoolC", type: .dynamic, targets: ["SpoolC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // gRPC for the Storage Write API only (the BigQueryStorageWrite target and its test support).
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C bindings: system libraries and non-variadic shims.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "CZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),

        // The outbox over SQLite: no network.
        .target(
            name: "SpoolStorage",
            dependencies: [
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The one JSON layer: parser, syntax check, string escaper, serializer and the typed-event row encoder.
        .target(name: "SpoolJSON"),
        // BigQuery schemas and the row validator: pure, no I/O beyond reading schema files.
        .target(name: "SpoolSchema", dependencies: ["SpoolJSON"]),
        // BigQuery REST over libcurl: no database.
        .target(
            name: "BigQueryREST",
            dependencies: [
                "SpoolJSON",
                "CCurl",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // BigQuery's Storage Write API (gRPC): COMMITTED streams with offsets, for exactly-once delivery.
        .target(
            name: "BigQueryStorageWrite",
            dependencies: [
                "SpoolSchema",
                "BigQueryREST",
                .product(name: "Logging", package: "swift-log"),
            ] + grpcDependencies
        ),
        // The public library: ties storage, schemas and REST together.
        .target(
            name: "Spool",
            dependencies: [
                "SpoolStorage",
                "SpoolSchema",
                "BigQueryREST",
                "BigQueryStorageWrite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "spoolctl",
            dependencies: [
                "Spool",
                "BigQueryREST",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "spool-bench",
            dependencies: ["Spool", "SpoolStorage", "CSQLite", "SpoolTestSupport", "BigQueryStorageWrite", "StorageWriteTestSupport"]
        ),
        // The C ABI over Spool: @_cdecl functions declared in include/spool.h, the one header C callers include.
        .target(name: "SpoolC", dependencies: ["Spool"], exclude: ["include"]),
        // Appends at a steady rate and prints each acknowledged id: the child process of crash and soak tests.
        .executableTarget(
            name: "spool-torture",
            dependencies: ["Spool"]
        ),

        // Loopback HTTP server, BigQuery stub, fault proxy, emulator access: shared by the test targets.
        .target(
            name: "SpoolTestSupport",
            dependencies: [
                "CZlib",
                "SpoolSchema",
                "BigQueryREST",
                "BigQueryStorageWrite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/SpoolTestSupport"
        ),
        // A BigQueryWrite gRPC server on loopback that answers as BigQuery does where the emulator cannot (row
        // errors, finalized or forgotten streams): a target of its own so that only Storage Write tests build gRPC.
        .target(
            name: "StorageWriteTestSupport",
            dependencies: ["BigQueryStorageWrite", "SpoolSchema"] + grpcDependencies,
            path: "Tests/StorageWriteTestSupport"
        ),
        // A SQLite VFS that simulates a power cut: writes no sync covered are lost (power-loss tests).
        .target(
            name: "CPowerLossVFS",
            path: "Tests/CPowerLossVFS",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .testTarget(name: "SpoolStorageTests", dependencies: ["SpoolStorage", "CSQLite"]),
        .testTarget(name: "SpoolJSONTests", dependencies: ["SpoolJSON"]),
        .testTarget(name: "SpoolSchemaTests", dependencies: ["SpoolSchema", "SpoolTestSupport"]),
        .testTarget(name: "BigQueryRESTTests", dependencies: ["BigQueryREST", "SpoolTestSupport"]),
        // Rows as protobuf (against Python's protobuf), the gRPC client against the emulator and the test server.
        .testTarget(
            name: "BigQueryStorageWriteTests",
            dependencies: [
                "BigQueryStorageWrite", "StorageWriteTestSupport", "SpoolTestSupport", "SpoolSchema", "BigQueryREST",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(name: "SpoolTests", dependencies: ["Spool", "SpoolTestSupport", "CSQLite", "BigQueryStorageWrite"]),
        // spoolctl tables create / doctor as child processes, and the uploader's start-up preflight.
        .testTarget(name: "ProvisioningTests", dependencies: ["Spool", "SpoolTestSupport"]),
        // End-to-end tests of the spoolctl binary, run as a child process.
        .testTarget(name: "spoolctlTests", dependencies: ["Spool", "SpoolTestSupport"]),
        // Crashes, outages, fault storms, poison rows, full disks, several processes, bad files, shutdown.
        .testTarget(name: "ReliabilityTests", dependencies: ["Spool", "SpoolTestSupport", "CSQLite", "CPowerLossVFS"]),
        // Bootstraps the global metrics system: its tests run serialized, in a target of their own.
        .testTarget(
            name: "ObservabilityTests",
            dependencies: ["Spool", "SpoolTestSupport", .product(name: "MetricsTestKit", package: "swift-metrics")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
