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
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: Core (Sources/Core): pure, no I/O.

        // The wire contract. No I/O, no Foundation.
        .target(name: "ClusterProtocol", path: "Sources/Core/ClusterProtocol", swiftSettings: strict),
        // The cluster state model and its reducer; it names no engine.
        .target(
            name: "ClusterState",
            dependencies: [
                "ClusterProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/Core/ClusterState",
            swiftSettings: strict
        ),
        // What every source shares, with no I/O library: the EventSource and
        // CommandSink protocols, the bounded queue, the feed, the reconnect
        // machine, the envelope stamper, the poll differ, recordings and their replay.
        .target(
            name: "EventSources",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/Core/EventSources",
            swiftSettings: strict
        ),
        // What an engine is: its rules (promotion preview, promotion modes,
        // typed tenants, its words), its settings and how its `[clusters.X]`
        // table reads, its connector and flags; protocol v1's own rules.
        .target(
            name: "EngineKit",
            dependencies: [
                "ClusterProtocol", "ClusterState", "EventSources",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/Core/EngineKit",
            swiftSettings: strict
        ),
        // Cells, buffers, layout, widgets. Knows nothing of clusters or curses.
        .target(name: "RenderCore", path: "Sources/Core/RenderCore", swiftSettings: strict),

        // MARK: Transports (Sources/Transports): how a stream travels.

        // The protocol-v1 source: WebSocket endpoints (NIO, TLS) with resume and reconnect.
        .target(
            name: "ProtocolV1Source",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Sources/Transports/ProtocolV1Source",
            swiftSettings: strict
        ),
        // The protocol-v1 server (Hummingbird), one for every engine served:
        // the stream core (subscribers, replay hub, snapshots, commands),
        // the listeners and the upgrade gate, and the relay of a connector's
        // stream that `clusterdash gateway` serves.
        .target(
            name: "ProtocolV1Server",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Sources/Transports/ProtocolV1Server",
            swiftSettings: strict
        ),
        // The NATS client protocol's server half, parsed from bytes cut
        // anywhere; and what the client sends, encoded. Pure but for NIOCore's
        // ByteBuffer (the fuzzer builds it alone).
        .target(
            name: "NATSProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/Transports/NATSProtocol",
            swiftSettings: strict
        ),
        // The NATS client (ours: the mirror has none): a connection over
        // TCP or NATS's WebSocket listener, and the little of JetStream's API
        // clusterdash uses.
        .target(
            name: "NATSClient",
            dependencies: [
                "NATSProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "Sources/Transports/NATSClient",
            swiftSettings: strict
        ),
        // The protocol-v1 stream read back from NATS JetStream (`nats://`):
        // the subject layout, a cluster's source, the fleet's discovery.
        .target(
            name: "NATSStreamSource",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                "NATSClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Transports/NATSStreamSource",
            swiftSettings: strict
        ),
        // A protocol-v1 server's stream published to NATS JetStream (`--publish`).
        .target(
            name: "NATSStreamPublisher",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                "NATSClient",
                "NATSStreamSource",
                "ProtocolV1Server",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Transports/NATSStreamPublisher",
            swiftSettings: strict
        ),

        // HTTP to an engine's API (Patroni's REST, etcd's gateway): a
        // deadline per call, the body bounded, the calls counted, the
        // failures in the operator's words.
        .target(
            name: "EngineHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Transports/EngineHTTP",
            swiftSettings: strict
        ),

        // MARK: Engines (Sources/Engines): one folder per engine, the registry.

        // The simulated cluster (pure: engine, validator, faults; no clock, no I/O).
        .target(
            name: "ClusterSim",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/Engines/Simulator/ClusterSim",
            swiftSettings: strict
        ),
        // The simulator served: its core on the protocol-v1 server, the
        // driver that moves its time with the wall clock, scenario files.
        .target(
            name: "Simulator",
            dependencies: [
                "ClusterProtocol",
                "ClusterSim",
                "ClusterState",
                "EventSources",
                "ProtocolV1Server",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/Engines/Simulator/Simulator",
            swiftSettings: strict
        ),
        // Patroni's REST answers and etcd's watch lines, read (pure: the
        // fuzzer builds it alone).
        .target(
            name: "PatroniProtocol",
            dependencies: ["ClusterProtocol"],
            path: "Sources/Engines/Patroni/PatroniProtocol",
            swiftSettings: strict
        ),
        // Patroni's rules (pure): the promotion preview, its states' weight,
        // its config keys, and the mapping of a poll into protocol-v1 facts.
        .target(
            name: "PatroniRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "EventSources", "PatroniProtocol"],
            path: "Sources/Engines/Patroni/PatroniRules",
            swiftSettings: strict
        ),
        // The Patroni connector: /cluster polled, Patroni's keys in etcd
        // watched, both diffed into protocol-v1 envelopes; promotions become
        // POST /switchover or /failover; its flags.
        .target(
            name: "PatroniSource",
            dependencies: [
                "ClusterProtocol",
                "EngineHTTP",
                "EngineKit",
                "PatroniProtocol",
                "PatroniRules",
                "ClusterState",
                "EventSources",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Engines/Patroni/PatroniSource",
            swiftSettings: strict
        ),
        // RESP2 and RESP3 read from bytes cut anywhere, and commands
        // encoded: pure but for NIOCore's ByteBuffer (the fuzzer builds it alone).
        .target(
            name: "RESPProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/Engines/Redis/RESPProtocol",
            swiftSettings: strict
        ),
        // The RESP client: a connection on SwiftNIO, and a pool of one per node.
        .target(
            name: "RESPClient",
            dependencies: [
                "RESPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Engines/Redis/RESPClient",
            swiftSettings: strict
        ),
        // Redis Cluster's and Sentinel's rules (pure): previews, FORCE and
        // TAKEOVER, hash slots, config keys; CLUSTER NODES and INFO read,
        // and both mappers into protocol-v1 facts.
        .target(
            name: "RedisRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "EventSources"],
            path: "Sources/Engines/Redis/RedisRules",
            swiftSettings: strict
        ),
        // The Redis Cluster and Sentinel connectors, on the RESP client; their flags.
        .target(
            name: "RedisSource",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EventSources",
                "EngineKit",
                "RESPClient",
                "RedisRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Engines/Redis/RedisSource",
            swiftSettings: strict
        ),
        // MariaDB Connector/C (libmariadb-dev), through a shim header: the
        // client that speaks to MariaDB and MySQL servers (only MySQLSource sees it).
        .systemLibrary(
            name: "CMariaDB", path: "Sources/Engines/MySQL/CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        // MySQL/MariaDB replication's rules (pure): GTID positions, the
        // servers' answers read, the topology mapped into protocol-v1 facts,
        // the switchover preview, its config keys.
        .target(
            name: "MySQLRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "EventSources"],
            path: "Sources/Engines/MySQL/MySQLRules",
            swiftSettings: strict
        ),
        // The MySQL connector: every server polled on Connector/C (its
        // blocking calls on a queue per connection), switchover and
        // failover step by step; its flags.
        .target(
            name: "MySQLSource",
            dependencies: [
                "CMariaDB",
                "ClusterProtocol",
                "ClusterState",
                "EngineKit",
                "EventSources",
                "MySQLRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Engines/MySQL/MySQLSource",
            swiftSettings: strict
        ),
        // etcd's gateway answers read: 64-bit IDs as decimal strings, the
        // leader's metrics lines (pure: the fuzzer builds it alone).
        .target(
            name: "EtcdProtocol",
            dependencies: ["ClusterProtocol"],
            path: "Sources/Engines/Etcd/EtcdProtocol",
            swiftSettings: strict
        ),
        // etcd's rules (pure): the members mapped into protocol-v1 facts,
        // the leadership-move and learner-promotion preview, its config keys.
        .target(
            name: "EtcdRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "EtcdProtocol", "EventSources"],
            path: "Sources/Engines/Etcd/EtcdRules",
            swiftSettings: strict
        ),
        // The etcd connector: every member's status polled over the HTTP
        // gateway, the leader's metrics for dead peers; promotions become
        // transfer-leadership or member promote; its flags.
        .target(
            name: "EtcdSource",
            dependencies: [
                "ClusterProtocol",
                "ClusterState",
                "EngineKit",
                "EngineHTTP",
                "EventSources",
                "EtcdProtocol",
                "EtcdRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Engines/Etcd/EtcdSource",
            swiftSettings: strict
        ),
        // NATS JetStream's answers read: each server's JSZ and health, the
        // stream API's answers, the advisories (pure: the fuzzer builds it alone).
        .target(
            name: "JetStreamProtocol",
            dependencies: ["ClusterProtocol"],
            path: "Sources/Engines/JetStream/JetStreamProtocol",
            swiftSettings: strict
        ),
        // NATS JetStream's rules (pure): servers and streams mapped into
        // protocol-v1 facts (streams as partitions), the step-down preview,
        // its config keys.
        .target(
            name: "JetStreamRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "JetStreamProtocol", "EventSources"],
            path: "Sources/Engines/JetStream/JetStreamRules",
            swiftSettings: strict
        ),
        // The NATS JetStream connector: JSZ and health gathered from every
        // server as the system account, advisories pushed; promotions become
        // the meta leader's step-down; its flags.
        .target(
            name: "JetStreamSource",
            dependencies: [
                "ClusterProtocol",
                "EngineKit",
                "EventSources",
                "JetStreamProtocol",
                "JetStreamRules",
                "NATSClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Engines/JetStream/JetStreamSource",
            swiftSettings: strict
        ),
        // Parti's rules (pure): its KV layout read (election, heartbeats,
        // assignments), the workers and its own assignment table mapped into
        // protocol-v1 facts; it decides alone, so every promotion is refused.
        .target(
            name: "PartiRules",
            dependencies: ["ClusterProtocol", "ClusterState", "EngineKit", "EventSources"],
            path: "Sources/Engines/Parti/PartiRules",
            swiftSettings: strict
        ),
        // The Parti connector: its four KV buckets read from NATS, read-only; its flags.
        .target(
            name: "PartiSource",
            dependencies: [
                "ClusterProtocol",
                "EngineKit",
                "EventSources",
                "NATSClient",
                "PartiRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Engines/Parti/PartiSource",
            swiftSettings: strict
        ),
        // The one list of engines' rules, by the name the wire and config carry.
        .target(
            name: "EngineRegistry",
            dependencies: ["ClusterState", "EngineKit", "EtcdRules", "JetStreamRules", "MySQLRules", "PartiRules", "PatroniRules", "RedisRules"],
            path: "Sources/Engines/Registry",
            swiftSettings: strict
        ),

        // MARK: App (Sources/App): the dashboard and the command line.

        // The dashboard as a pure program: model, update, views, keymap, themes, config.
        .target(
            name: "Dashboard",
            dependencies: [
                "ClusterProtocol", "ClusterState", "EngineKit", "EngineRegistry", "EventSources", "RenderCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/App/Dashboard",
            swiftSettings: strict
        ),
        // The dashboard's runtime: the loop that feeds `update` and performs
        // every effect it returns, on any interactive backend (ncurses in the
        // app, a scripted one in the tests), with an injected clock.
        .target(
            name: "DashboardRuntime",
            dependencies: [
                "ClusterProtocol", "Dashboard", "EventSources", "RenderCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/App/DashboardRuntime",
            swiftSettings: strict
        ),
        // ncursesw, through a shim header (the only target that sees it).
        .systemLibrary(name: "CNcurses", path: "Sources/App/CNcurses"),
        // The terminal backend: copies RenderCore buffers to the screen, reads keys.
        .target(
            name: "NcursesBackend",
            dependencies: ["CNcurses", "RenderCore"],
            path: "Sources/App/NcursesBackend",
            swiftSettings: strict
        ),
        // The dashboard's one allocator setting, and the heap in use for the bench.
        .target(name: "CHeap", path: "Sources/App/CHeap"),
        .executableTarget(
            name: "clusterdash",
            dependencies: [
                "CHeap",
                "ClusterProtocol",
                "ClusterState",
                "ClusterSim",
                "Simulator",
                "ProtocolV1Server",
                "EventSources",
                "ProtocolV1Source",
                "PatroniSource",
                "RedisSource",
                "MySQLSource",
                "EtcdSource",
                "JetStreamSource",
                "PartiSource",
                "NATSClient",
                "NATSStreamSource",
                "NATSStreamPublisher",
                "Dashboard",
                "DashboardRuntime",
                "EngineKit",
                "EngineRegistry",
                "NcursesBackend",
                "RenderCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/App/clusterdash",
            swiftSettings: strict,
            plugins: ["BuildInfoPlugin"]
        ),
        // Writes the commit being built into the app (`--version`).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), path: "Sources/App/BuildInfoPlugin"),
        // Release-mode measurements; never part of the tests.
        .executableTarget(
            name: "clusterdash-bench",
            dependencies: [
                "ClusterProtocol", "ClusterState", "ClusterSim", "Simulator", "ProtocolV1Server", "EventSources", "ProtocolV1Source",
                "PatroniSource", "RedisSource", "MySQLSource", "EtcdSource", "JetStreamSource", "PartiSource", "NATSClient", "NATSStreamSource",
                "NATSStreamPublisher",
                "Dashboard", "RenderCore", "NcursesBackend", "CHeap",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/App/clusterdash-bench",
            swiftSettings: strict
        ),

        // MARK: Testing (Sources/Testing): test support shipped as a product.

        // Golden screens, fixtures, frame mutation, scripted runtime parts.
        .target(
            name: "ClusterdashTesting",
            dependencies: [
                "RenderCore", "ClusterProtocol", "ClusterState", "ClusterSim", "EventSources",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Testing/ClusterdashTesting",
            swiftSettings: strict
        ),

        // MARK: Tests

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
            name: "ClusterSimTests",
            dependencies: ["ClusterSim", "ClusterState", "ClusterProtocol", "ClusterdashTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ProtocolV1ServerTests",
            dependencies: [
                "ProtocolV1Server", "Simulator", "ClusterSim", "ClusterState", "ClusterProtocol", "ClusterdashTesting",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EventSourcesTests",
            dependencies: [
                "EventSources", "ProtocolV1Source", "ProtocolV1Server", "Simulator", "ClusterSim", "ClusterState", "ClusterProtocol",
                "ClusterdashTesting", "Dashboard", "RenderCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PatroniSourceTests",
            dependencies: [
                "PatroniSource", "PatroniRules", "EventSources", "ClusterState", "ClusterProtocol", "ClusterdashTesting", "Dashboard",
                "ProtocolV1Server",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RedisSourceTests",
            dependencies: [
                "RedisSource", "EventSources", "ClusterState", "ClusterProtocol", "ClusterdashTesting", "Dashboard", "ProtocolV1Server",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MySQLSourceTests",
            dependencies: [
                "MySQLSource", "MySQLRules", "EventSources", "ClusterState", "ClusterProtocol", "ClusterdashTesting", "Dashboard",
                "EngineKit", "ProtocolV1Server", "RenderCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EtcdSourceTests",
            dependencies: [
                "EtcdSource", "EtcdProtocol", "EtcdRules", "EventSources", "ClusterState", "ClusterProtocol", "ClusterdashTesting", "Dashboard",
                "EngineKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JetStreamSourceTests",
            dependencies: [
                "JetStreamSource", "JetStreamProtocol", "JetStreamRules", "NATSClient", "EventSources", "ClusterState", "ClusterProtocol",
                "ClusterdashTesting", "Dashboard", "EngineKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PartiSourceTests",
            dependencies: [
                "PartiSource", "PartiRules", "NATSClient", "EventSources", "ClusterState", "ClusterProtocol", "ClusterdashTesting", "Dashboard",
                "EngineKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NATSTests",
            dependencies: [
                "NATSClient", "NATSStreamSource", "NATSStreamPublisher", "EventSources", "ClusterState", "ClusterProtocol", "ClusterSim",
                "ClusterdashTesting", "ProtocolV1Server", "Simulator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "ClusterSim", "ClusterState", "ClusterProtocol", "EngineKit", "EventSources", "RedisRules", "RenderCore",
                "ClusterdashTesting",
            ],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DashboardRuntimeTests",
            dependencies: [
                "DashboardRuntime", "Dashboard", "EventSources", "ClusterState", "ClusterProtocol", "RenderCore", "ClusterdashTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
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

// The libFuzzer targets (docs/RELIABILITY.md, scripts/fuzz): only when
// CLUSTERDASH_FUZZ=1, built with `--sanitize fuzzer --sanitize address` in a
// build folder of their own. libFuzzer brings `main`, so a normal build
// cannot link them and never sees them.
if Context.environment["CLUSTERDASH_FUZZ"] == "1" {
    let fuzzers: [(String, [Target.Dependency])] = [
        ("fuzz-envelope", ["ClusterProtocol"]),
        ("fuzz-nats", ["NATSProtocol", .product(name: "NIOCore", package: "swift-nio")]),
        ("fuzz-resp", ["RESPProtocol", .product(name: "NIOCore", package: "swift-nio")]),
        ("fuzz-patroni", ["PatroniProtocol"]),
        ("fuzz-etcd", ["EtcdProtocol"]),
        ("fuzz-jetstream", ["JetStreamProtocol"]),
        ("fuzz-parti", ["PartiRules"]),
    ]
    for (name, dependencies) in fuzzers {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: dependencies, path: "Fuzz/\(name.dropFirst(5))",
                swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]))
    }
}
