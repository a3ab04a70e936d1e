// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every target of ours: Swift 6 mode (the tools default),
/// strict concurrency, and `any` spelled out for existentials.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "clusterdash",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clusterdash", targets: ["clusterdash"]),
        .executable(name: "clusterdash-bench", targets: ["clusterdash-bench"]),
        .library(name: "ClusterdashTesting", targets: ["ClusterdashTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure: the wire contract. No I/O, no Foundation.
        .target(name: "ClusterProtocol", swiftSettings: strict),
        // Pure: the cluster state model and its reducer.
        .target(
            name: "ClusterState",
            dependencies: [
                "ClusterProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // Pure: cells, buffers, layout, widgets. Knows nothing of clusters or curses.
        .target(name: "RenderCore", swiftSettings: strict),
        // Test support shipped as a product: golden screens, fixtures, frame mutation.
        .target(
            name: "ClusterdashTesting",
            dependencies: ["RenderCore", "ClusterProtocol"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "clusterdash",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Release-mode measurements; never part of the tests.
        .executableTarget(
            name: "clusterdash-bench",
            dependencies: ["ClusterProtocol", "ClusterState"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterProtocolTests",
            dependencies: ["ClusterProtocol", "ClusterdashTesting"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterStateTests",
            dependencies: ["ClusterState", "ClusterProtocol", "ClusterdashTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RenderCoreTests",
            dependencies: ["RenderCore", "ClusterdashTesting"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
    ]
)
