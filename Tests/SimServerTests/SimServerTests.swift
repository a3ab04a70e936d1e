import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import SimServer
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

func quietLogger() -> Logger {
    var l = Logger(label: "sim-test")
    l.logLevel = .critical
    return l
}

/// A simulator on an ephemeral loopback port whose time the test moves.
func startServer(
    _ edit: (inout SimConfig) -> Void = { _ in }, options editOptions: (inout SimServerOptions) -> Void = { _ in },
    scheduled: [(Fault, Timestamp)] = []
) async throws -> SimulatorServer {
    var config = SimConfig()
    config.coldStartWindowMillis = 1_000
    config.plannedScaleWindowMillis = 500
    config.inhibitMillis = 10_000
    edit(&config)
    var options = SimServerOptions()
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

@Suite(.serialized) struct StreamTests {
    @Test func snapshotFirstThenContiguousLiveEvents() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        for _ in 0..<20 { await server.core.advance(byMillis: 500) }
        let expectedSeqs = await server.core.seqs
        let es = try await client.waitFor("all events") { es in
            var last: [String: Int64] = [:]
            for e in es where e.seq > 0 { last[e.source] = e.seq }
            return last == expectedSeqs
        }
        #expect(es.first?.type == "cluster.snapshot")
        var state = ClusterState()
        var last: [String: Int64] = [:]
        for (i, e) in es.enumerated() {
            let out = state.apply(e)
            #expect(out.resync == nil)
            if i > 0 {
                #expect(e.seq == (last[e.source] ?? 0) + 1, "\(e.source) seq \(e.seq) after \(last[e.source] ?? 0)")
            } else if case .snapshot(let s) = e.event {
                last = s.seqs
                continue
            }
            last[e.source] = e.seq
        }
        var truth = ClusterState()
        truth.apply(await server.core.snapshot())
        #expect(state.primaries == truth.primaries)
        #expect(state.assignment?.partitions == truth.assignment?.partitions)
        #expect(state.term == truth.term)
        #expect(await client.inbox.decodeErrors.isEmpty)
    }

    @Test func resumeAfterDisconnectReplaysExactlyTheMissedEvents() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let first = TestStreamClient(url: server.url)
        first.send(.subscribe(resume: nil))
        try await first.waitFor("the snapshot") { !$0.isEmpty }
        await server.core.advance(byMillis: 2_000)
        let seen = await server.core.seqs
        let a = try await first.waitFor("first client's events") { es in
            var last: [String: Int64] = [:]
            for e in es {
                if case .snapshot(let s) = e.event { last.merge(s.seqs) { _, n in n } } else if e.seq > 0 { last[e.source] = e.seq }
            }
            return last == seen
        }
        first.close()
        try await first.waitClosed()
        var resume: [String: Int64] = [:]
        for e in a where e.seq > 0 {
            if case .snapshot(let s) = e.event { resume.merge(s.seqs) { _, n in n } } else { resume[e.source] = e.seq }
        }
        // Time passes while nobody listens.
        await server.core.advance(byMillis: 3_000)
        let now = await server.core.seqs
        let second = TestStreamClient(url: server.url)
        defer { second.close() }
        second.send(.subscribe(resume: resume))
        let resumed = resume
        let b = try await second.waitFor("the replay") { es in
            var last = resumed
            for e in es where e.seq > 0 { last[e.source] = e.seq }
            return last == now
        }
        #expect(!b.contains { $0.type == "cluster.snapshot" }, "a replay, not a snapshot")
        var last = resume
        for e in b {
            #expect(e.seq == (last[e.source] ?? 0) + 1, "replay of \(e.source): \(e.seq) after \(last[e.source] ?? 0)")
            last[e.source] = e.seq
        }
        #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)), "nothing seen twice")
        #expect(b.count > 10)
    }

    @Test func resumeTooOldGetsASnapshot() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = TestStreamClient(url: server.url)
        defer { client.close() }
        client.send(.subscribe(resume: ["node-1": 999_999]))
        let es = try await client.waitFor("a snapshot") { !$0.isEmpty }
        #expect(es.first?.type == "cluster.snapshot")
    }
}

@Suite(.serialized) struct AuthTests {
    @Test func upgradeWithoutAValidTokenIs401() async throws {
        let server = try await startServer(options: { $0.readToken = "r-token"; $0.operateToken = "o-token" })
        defer { Task { await server.stop() } }
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream") == 401)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer wrong"]) == 401)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer r-token"]) == 101)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer o-token"]) == 101)
        let refused = TestStreamClient(url: server.url)
        if case .success = await refused.result() { Issue.record("upgrade without a token succeeded") }
    }

    @Test func readTokenCannotCommand() async throws {
        let server = try await startServer(options: { $0.readToken = "r-token"; $0.operateToken = "o-token" })
        defer { Task { await server.stop() } }
        await settle(server)
        let reader = TestStreamClient(url: server.url, token: "r-token")
        defer { reader.close() }
        reader.send(.subscribe(resume: nil))
        reader.send(.promote(requestID: "r-1", node: "node-2"))
        let es = try await reader.waitFor("the result") { !results($0).isEmpty }
        #expect(results(es).first == CommandResult(requestID: "r-1", op: "promote", status: .rejected, reason: "read_only_token"))
        #expect(await server.core.primary == "node-1")
        let operator_ = TestStreamClient(url: server.url, token: "o-token")
        defer { operator_.close() }
        operator_.send(.subscribe(resume: nil))
        operator_.send(.promote(requestID: "o-1", node: "node-2"))
        let ok = try await operator_.waitFor("the result") { !results($0).isEmpty }
        #expect(results(ok).first?.status == .accepted)
        #expect(await server.core.stats.commandsReceived == 2)
    }
}

@Suite(.serialized) struct CommandTests {
    @Test func malformedFramesAndEarlyCommandsAreRejectedAndTheConnectionStays() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = TestStreamClient(url: server.url)
        defer { client.close() }
        client.send(.promote(requestID: "early", node: "node-2"))
        client.send("{not json")
        client.send(#"{"op":"reboot","request_id":"x-1"}"#)
        let rejected = try await client.waitFor("three rejections") { results($0).count == 3 }
        #expect(
            results(rejected) == [
                CommandResult(requestID: "early", op: "promote", status: .rejected, reason: "invalid_request"),
                CommandResult(requestID: nil, op: nil, status: .rejected, reason: "invalid_request"),
                CommandResult(requestID: "x-1", op: "reboot", status: .rejected, reason: "invalid_request"),
            ])
        #expect(rejected.allSatisfy { $0.seq == 0 })
        client.send(.subscribe(resume: nil))
        try await client.waitFor("the snapshot after the rejections") { $0.contains { $0.type == "cluster.snapshot" } }
        client.send(#"{"op":"promote","request_id":"r-2"}"#)
        try await client.waitFor("a fourth rejection") { results($0).count == 4 }
        #expect(await server.core.primary == "node-1")
    }

    @Test func promotionSequenceOverTheWire() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        client.send(.promote(requestID: "r-7", node: "node-4"))
        try await client.waitFor("the result") { !results($0).isEmpty }
        await server.core.advance(byMillis: 1_000)
        let es = try await client.waitFor("the transfer") { $0.contains { $0.type == "failover.inhibited" && $0.correlationID == "r-7" } }
        let flow = es.filter { $0.correlationID == "r-7" }.map(\.type)
        #expect(
            flow == [
                "command.result", "failover.promotion_requested", "failover.promotion_validated", "failover.demoted",
                "node.role_changed", "failover.authority_transferred", "node.role_changed", "failover.inhibited",
            ])
        #expect(await server.core.primary == "node-4")
        // The same request id again: the same answer, no second promotion.
        client.send(.promote(requestID: "r-7", node: "node-4"))
        try await client.waitFor("the repeated result") { results($0).count == 2 }
        let again = await client.envelopes()
        #expect(results(again)[0] == results(again)[1])
        #expect(again.filter { $0.type == "failover.authority_transferred" }.count == 1)
    }

    @Test func migrationFromStartToCompletionAndACancelledOne() async throws {
        let server = try await startServer({ $0.drainEntriesPerSecond = 50_000 })
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        client.send(.migrate(requestID: "m-a", tenant: "acme", target: "eu-west", dryRun: false))
        client.send(.migrate(requestID: "m-b", tenant: "globex", target: "us-east", dryRun: true))
        try await client.waitFor("two results") { results($0).count == 2 }
        for _ in 0..<10 { await server.core.advance(byMillis: 1_000) }
        let es = try await client.waitFor("completion") { $0.filter { $0.type == "migration.completed" }.count == 2 }
        var state = ClusterState()
        for e in es { state.apply(e) }
        #expect(state.tenants["acme"] == "eu-west")
        #expect(state.tenants["globex"] == "eu-west", "dry run: unchanged")
        client.send(.migrate(requestID: "m-c", tenant: "hooli", target: "ap-south", dryRun: false))
        try await client.waitFor("the third result") { results($0).count == 3 }
        let started = try await client.waitFor("the start") { $0.contains { $0.type == "migration.started" && $0.correlationID == "m-c" } }
        var id = "?"
        if case .migrationStarted(let m) = started.last(where: { $0.correlationID == "m-c" && $0.type == "migration.started" })?.event {
            id = m.migration.migrationID
        }
        client.send(.cancelMigration(requestID: "c-1", migrationID: id))
        let done = try await client.waitFor("the cancel") { $0.contains { $0.type == "migration.cancelled" } }
        #expect(results(done).last?.status == .accepted)
    }
}

@Suite(.serialized) struct ScenarioAndNodeTests {
    @Test func crashScenarioProducesEmergencyRebalanceAndNewPrimary() async throws {
        let scenario = try Scenario.parse(
            toml: """
                # node-1 is the first primary
                [[step]]
                at = "5s"
                fault = "crash"
                node = "node-1"
                """)
        #expect(scenario.steps == [Scenario.Step(atMillis: 5_000, fault: .crash(node: "node-1"))])
        let server = try await startServer(scheduled: scenario.schedule(from: t0))
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        await server.core.advance(byMillis: 4_000)
        let es = try await client.waitFor("the new primary") { $0.contains { $0.type == "assignment.published" } }
        var state = ClusterState()
        for e in es { state.apply(e) }
        #expect(state.nodes["node-1"]?.isPresent == false)
        #expect(state.primaries.count == 1 && state.primaries != ["node-1"])
        #expect(state.assignment?.reason == .emergency)
        #expect(state.assignment?.workers["node-1"] == nil)
        #expect(state.term == 2)
    }

    @Test func scenarioErrorsSayWhatIsWrong() {
        #expect(throws: ScenarioError("step 1: unknown fault `melt` (lag_spike, crash, restart, degrade, recover, quorum_loss, disconnect, reconnect, suppressed)")) {
            try Scenario.parse(toml: "[[step]]\nat = \"1s\"\nfault = \"melt\"\n")
        }
        #expect(throws: ScenarioError("step 1: missing `node`")) {
            try Scenario.parse(toml: "[[step]]\nat = \"1s\"\nfault = \"crash\"\n")
        }
        #expect(throws: ScenarioError("step 1: `at` = \"soon\" is not a duration (like 500ms, 10s, 1m30s)")) {
            try Scenario.parse(toml: "[[step]]\nat = \"soon\"\nfault = \"crash\"\nnode = \"node-1\"\n")
        }
        #expect(throws: ScenarioError.self) { try Scenario.parse(toml: "[[step]\n") }
    }

    @Test func perNodeEndpointsStreamTheirNodeAndCloseOnCrash() async throws {
        let server = try await startServer(options: { $0.perNodePorts = true })
        defer { Task { await server.stop() } }
        await settle(server)
        #expect(server.nodeURLs.count == 5)
        let url = try #require(server.nodeURLs["node-3"])
        let n3 = TestStreamClient(url: url)
        let n2 = TestStreamClient(url: try #require(server.nodeURLs["node-2"]))
        defer { n2.close() }
        n3.send(.subscribe(resume: nil))
        n2.send(.subscribe(resume: nil))
        try await n3.waitFor("node-3 snapshot") { !$0.isEmpty }
        try await n2.waitFor("node-2 snapshot") { !$0.isEmpty }
        await server.core.advance(byMillis: 2_000)
        let es = try await n3.waitFor("node-3 events") { $0.count > 3 }
        #expect(es.dropFirst().allSatisfy { $0.source == "node-3" })
        if case .snapshot(let s) = es.first?.event { #expect(Set(s.seqs.keys) == ["node-3"]) }
        await server.core.inject(.crash(node: "node-3"))
        try await n3.waitClosed()
        let port = try #require(URLComponents(string: url)?.port)
        #expect(try rawHTTPStatus(port: port, path: "/v1/stream") == 503)
        // The others keep streaming.
        let before = await n2.envelopes().count
        await server.core.advance(byMillis: 2_000)
        try await n2.waitFor("node-2 keeps streaming") { $0.count > before }
    }
}

@Suite struct DocumentedScenarioTests {
    @Test func theExampleScenarioInTheDocsParses() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/scenarios/failover-drill.toml").standardized
        let scenario = try Scenario.parse(toml: try String(contentsOf: url, encoding: .utf8))
        #expect(scenario.steps.count == 7)
        #expect(scenario.steps[0] == Scenario.Step(atMillis: 40_000, fault: .lagSpike(node: "node-2", millis: 45_000, durationMillis: 15_000)))
        #expect(scenario.steps[1].fault == .crash(node: "node-1"))
        #expect(scenario.steps.last?.fault == .suppressedRepeat(node: nil))
    }
}
