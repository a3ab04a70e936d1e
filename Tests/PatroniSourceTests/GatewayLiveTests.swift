import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import Synchronization
import Testing

@testable import PatroniSource

// `clusterdash gateway` against the real cluster: part of PatroniLiveTests
// (one suite, run one test at a time: they all move the same leader).
extension PatroniLiveTests {
    func state(of client: TestStreamClient) async -> ClusterState {
        var s = ClusterState()
        for e in await client.envelopes() { s.apply(e) }
        return s
    }

    func until(_ seconds: Double, _ ok: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await ok() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await ok()
    }

    func result(_ id: String, in es: [Envelope]) -> CommandResult? {
        for e in es {
            if case .commandResult(let r) = e.event, r.requestID == id { return r }
        }
        return nil
    }

    @Test("the gateway serves the connector's stream to any WebSocket client: the same state, commands answered to the asker alone, resume")
    func gatewayServesTheStream() async throws {
        let before = try await waitHealthy(60)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let source = PatroniSource(
            config: PatroniSourceConfig(urls: [LiveCluster.rest ?? ""], etcd: [LiveCluster.etcd].compactMap { $0 }), clock: wallClockNow,
            logger: logger)
        let made = Mutex<[String]>([])
        source.queue.tap { r in made.withLock { $0.append(r.envelope.id) } }
        let core = StreamCore(engine: RelayEngine(sink: source, clock: wallClockNow))
        var options = StreamServerOptions()
        options.port = 0
        options.readToken = "read-secret"
        options.operateToken = "operate-secret"
        options.realtime = false
        options.metrics = ServerMetrics(source: source)
        let server = try await StreamServer.serve(
            core: core, options: options, services: [RelayPump(source: source, core: core)], logger: logger)
        // As the simulator serves: 401 without a token, /stats, /health.
        let http = server.url.replacingOccurrences(of: "ws://", with: "http://")
        let base = String(http.dropLast("/v1/stream".count))
        let code = try await LiveCluster.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", http])
        #expect(code == "401", "an upgrade without a token is refused 401")
        #expect(try await LiveCluster.run("/usr/bin/curl", ["-fsS", "--max-time", "2", base + "/health"]) == "ok\n")
        // Clients that are not ours: swift-websocket's WSClient speaking the protocol by hand.
        let reader = TestStreamClient(url: server.url, token: "read-secret")
        let operatorClient = TestStreamClient(url: server.url, token: "operate-secret")
        reader.send(.subscribe(resume: nil))
        operatorClient.send(.subscribe(resume: nil))
        let agreed = await until(15) {
            let a = await state(of: reader)
            let b = await state(of: operatorClient)
            return agreesWithPatroni(a, before) && agreesWithPatroni(b, before)
        }
        #expect(agreed, "both clients' states add up to /cluster")
        // What a client got is what the connector made, in its order: the
        // gateway adds nothing but a snapshot for a late subscriber.
        try await reader.waitFor("events after the snapshot") { $0.filter { $0.type != "cluster.snapshot" }.count >= 3 }
        let ids = made.withLock { $0 }
        let got = await reader.envelopes().filter { $0.type != "cluster.snapshot" }.map(\.id)
        let positions = got.map { ids.firstIndex(of: $0) }
        #expect(!got.isEmpty)
        #expect(positions.allSatisfy { $0 != nil }, "every event came from the connector")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "in the connector's order")

        // A read token cannot promote; the operator's promotion is Patroni's answer, to the operator alone.
        let candidate = try #require(before.members.first { $0.isReplica }?.name)
        reader.send(.promote(requestID: "gw-read", node: candidate))
        let refused = try await reader.waitFor("the read token's refusal") { es in es.contains { $0.type == "command.result" } }
        #expect(result("gw-read", in: refused)?.status == .rejected)
        #expect(result("gw-read", in: refused)?.reason == "read_only_token")
        operatorClient.send(.promote(requestID: "gw-1", node: candidate))
        let answered = try await operatorClient.waitFor("Patroni's answer", timeout: .seconds(40)) { es in
            es.contains { e in
                if case .commandResult(let r) = e.event { return r.requestID == "gw-1" }
                return false
            }
        }
        let answer = result("gw-1", in: answered)
        #expect(answer?.status == .completed, "Patroni said: \(answer?.reason ?? "nothing")")
        #expect(answer?.reason?.contains("Successfully switched over") == true)
        #expect(result("gw-1", in: await reader.envelopes()) == nil, "the result goes to the asker alone")
        let after = try await waitHealthy(60)
        #expect(after.members.first { $0.isLeader }?.name == candidate)
        let bothMoved = await until(15) {
            let a = await state(of: reader)
            let b = await state(of: operatorClient)
            return agreesWithPatroni(a, after) && agreesWithPatroni(b, after)
        }
        #expect(bothMoved, "both clients saw the switchover")
        // The same request id again does the work once: the first answer comes back.
        operatorClient.send(.promote(requestID: "gw-1", node: candidate))
        let again = try await operatorClient.waitFor("the repeated request's answer") { es in
            es.filter { e in
                if case .commandResult(let r) = e.event { return r.requestID == "gw-1" }
                return false
            }.count == 2
        }
        let answers = again.filter { result("gw-1", in: [$0]) != nil }
        #expect(answers.count == 2 && answers.last?.id == answers.first?.id, "the first answer, not a second switchover")

        // A client that resumes gets what it missed, not a snapshot; a new one
        // starts from the gateway's snapshot, which adds up to /cluster.
        let replaysBefore = await core.stats.replays
        let resumed = TestStreamClient(url: server.url, token: "read-secret")
        resumed.send(.subscribe(resume: await state(of: reader).seqs))
        let first = try await resumed.waitFor("a replayed or live event") { !$0.isEmpty }
        #expect(first.first?.type != "cluster.snapshot")
        #expect(await core.stats.replays == replaysBefore + 1)
        let fresh = TestStreamClient(url: server.url, token: "read-secret")
        fresh.send(.subscribe(resume: nil))
        let start = try await fresh.waitFor("the gateway's snapshot") { !$0.isEmpty }
        #expect(start.first?.type == "cluster.snapshot")
        let freshAgrees = await until(10) { agreesWithPatroni(await state(of: fresh), after) }
        #expect(freshAgrees, "a snapshot made by the gateway is the cluster as it is")

        let stats = try await LiveCluster.run("/usr/bin/curl", ["-fsS", "--max-time", "2", base + "/stats"])
        #expect(stats.contains("\"subscriptions\":4"), "\(stats)")
        #expect(stats.contains("\"commands_received\":3"), "\(stats)")
        // The same counts on /metrics, and the engine's own: its endpoint
        // up, its answers, how long its polls took.
        let metrics = try await LiveCluster.run("/usr/bin/curl", ["-fsS", "--max-time", "2", base + "/metrics"])
        let lines = Set(metrics.split(separator: "\n").map(String.init))
        let endpoint = try #require(source.endpointNames.first)
        for line in [
            "clusterdash_subscriptions_total 4", "clusterdash_commands_received_total 3", "clusterdash_subscribers 4.0",
            #"clusterdash_command_results_total{status="rejected"} 1"#, #"clusterdash_command_results_total{status="completed"} 1"#,
            #"clusterdash_engine_endpoint_up{endpoint="\#(endpoint)"} 1.0"#,
        ] {
            #expect(lines.contains(line), "\(line) in \(metrics)")
        }
        func value(_ prefix: String) -> Int? {
            lines.first { $0.hasPrefix(prefix + " ") }.flatMap { Int($0.dropFirst(prefix.count + 1)) }
        }
        #expect((value(#"clusterdash_engine_answers_total{endpoint="\#(endpoint)"}"#) ?? 0) > 0, "\(metrics)")
        #expect((value("clusterdash_engine_poll_duration_seconds_count") ?? 0) > 0, "\(metrics)")
        #expect((value("clusterdash_events_broadcast_total") ?? 0) >= got.count, "\(metrics)")
        for c in [reader, operatorClient, resumed, fresh] { c.close() }
        await server.stop()
    }
}
