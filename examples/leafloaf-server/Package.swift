// swift-tools-version:6.0
import PackageDescription

// The seed's API service rebuilt on Spool: a Hummingbird 2 server whose endpoints update in-memory
// personalization, append one typed event each, and answer — with the uploader in the same ServiceGroup.
let package = Package(
    name: "leafloaf-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leafloaf-server", targets: ["leafloaf-server"]),
        .library(name: "LeafLoafEvents", targets: ["LeafLoafEvents"]),
    ],
    dependencies: [
        .package(name: "Spool", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The five event tables as Encodable structs whose fields match examples/leafloaf/schemas/*.json.
        .target(name: "LeafLoafEvents"),
        // Routes, in-memory personalization and the analytics service: everything but the command line.
        .target(
            name: "LeafLoafServer",
            dependencies: [
                "LeafLoafEvents",
                .product(name: "Spool", package: "Spool"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "leafloaf-server",
            dependencies: [
                "LeafLoafServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "LeafLoafServerTests",
            dependencies: [
                "LeafLoafServer",
                .product(name: "SpoolTestSupport", package: "Spool"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
