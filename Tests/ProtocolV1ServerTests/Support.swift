import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Simulator
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

/// A simulator on an ephemeral loopback port whose time the test moves.
func startServer(
    _ edit: (inout SimConfig) -> Void = { _ in }, options editOptions: (inout StreamServerOptions) -> Void = { _ in },
    scheduled: [(Fault, Timestamp)] = []
) async throws -> SimulatorServer {
    var config = SimConfig()
    config.coldStartWindowMillis = 1_000
    config.plannedScaleWindowMillis = 500
    config.inhibitMillis = 10_000
    edit(&config)
    var options = StreamServerOptions()
    options.port = 0
    options.realtime = false
    editOptions(&options)
    return try await SimulatorServer.start(simulation: config, options: options, start: t0, scheduled: scheduled, logger: quietLogger())
}

/// Settles the cluster (cold start done) before a client connects.
func settle(_ server: SimulatorServer, seconds: Int64 = 3) async {
    await server.core.advance(byMillis: seconds * 1000)
}

/// A client subscribed to `server`, its snapshot received.
func subscribedClient(_ server: SimulatorServer) async throws -> TestStreamClient {
    let client = TestStreamClient(url: server.url)
    client.send(.subscribe(resume: nil))
    try await client.waitFor("the snapshot") { !$0.isEmpty }
    return client
}

func results(_ es: [Envelope]) -> [CommandResult] {
    es.compactMap { if case .commandResult(let r) = $0.event { return r } else { return nil } }
}
