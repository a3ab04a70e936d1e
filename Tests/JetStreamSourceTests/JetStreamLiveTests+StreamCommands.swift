import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EngineKit
import EventSources
import Foundation
import JetStreamRules
import NATSClient
import Testing

@testable import JetStreamSource

extension StateWatcher where S == JetStreamSource {
    /// As the system account, with the app account's credentials for stream commands (nil: none).
    convenience init(jetStream servers: [NATSAddress], streamCredentials: NATSCredentials?) {
        var config = JetStreamSourceConfig(servers: servers, credentials: LiveJetStream.sys)
        config.streamCredentials = streamCredentials
        self.init(source: JetStreamSource(config: config, clock: wallClockNow, logger: quietLogger()))
    }

    /// The partition row of a stream (by its name).
    func row(_ stream: String) -> PartitionAssignment? {
        state.assignment?.partitions.first { $0.name == stream }
    }

    /// The command's last result, or with `final` false its first (a move
    /// is answered `accepted` first; a quick one is completed within the wait).
    func result(_ requestID: String, within seconds: Double, final: Bool = true) async -> CommandResult? {
        _ = await until(seconds) { _ in
            self.results.contains { $0.requestID == requestID && (!final || $0.status != .accepted) }
        }
        return final ? results.last { $0.requestID == requestID } : results.first { $0.requestID == requestID }
    }
}

// The commands on one stream, against the real cluster of `scripts/nats-up`
// with accounts (.ci/run starts it): its leader's step-down and its move by
// placement tag, each through the app account's credentials. Part of
// `JetStreamLiveTests` (serialized with it): that suite SIGKILLs servers of
// the same cluster, and a move run beside it stalled in CI.
extension JetStreamLiveTests {
    /// Deletes the streams named, waiting for each answer (a deferred
    /// task would not run before the process ends).
    static func deleteStreams(_ js: JetStream, _ names: [String]) async {
        for name in names { _ = try? await js.call("STREAM.DELETE.\(name)") }
    }

    /// `p` on a stream: its leader steps down, nats-server elects another
    /// (STREAM.INFO says so), and the screen follows. The preview passed
    /// first; an R1 stream is refused before anything is sent, and so is
    /// any stream when only the system account's credentials are given.
    @Test func aStreamsLeaderStepsDownThroughItsAccount() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        let js = JetStream(c)
        // A run that ended early left them: each test starts from none.
        await Self.deleteStreams(js, ["STEP", "STEPONE"])
        _ = try await js.ensureStream(["name": "STEP", "subjects": ["step.>"], "num_replicas": 3, "storage": "file"])
        _ = try await js.ensureStream(["name": "STEPONE", "subjects": ["stepone.>"], "num_replicas": 1, "storage": "file"])
        let w = StateWatcher(jetStream: LiveJetStream.addresses, streamCredentials: LiveJetStream.app)
        defer { Task { await w.stop() } }
        let before = await LiveJetStream.streamLeader(c, "STEP")
        #expect(await w.until(5) { _ in w.row("STEP")?.worker == before && w.row("STEP")?.worker != nil })
        #expect(w.state.engine?.accepts.contains("step_down") == true, "\(w.state.engine?.accepts ?? [])")
        let row = try #require(w.row("STEP"))
        let checks = JetStreamRules().stepDownPreview(of: row, in: w.state)
        #expect(checks.allSatisfy { $0.ok }, "\(checks)")
        #expect(w.source.send(.stepDown(requestID: "step-1", partition: row.id)))
        let result = await w.result("step-1", within: 8)
        #expect(result?.status == .completed, "\(result?.reason ?? "no answer")")
        var after: String?
        for _ in 0..<50 {
            after = await LiveJetStream.streamLeader(c, "STEP")
            if after != nil, after != before { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(after != nil && after != before, "STREAM.INFO still names \(after ?? "none")")
        #expect(await w.until(3) { _ in w.row("STEP")?.worker == after }, "\(w.row("STEP")?.worker ?? "none")")
        // R1: nobody else holds it; refused by the source, nothing sent.
        let one = try #require(w.row("STEPONE"))
        let leaderOfOne = await LiveJetStream.streamLeader(c, "STEPONE")
        #expect(w.source.send(.stepDown(requestID: "step-r1", partition: one.id)))
        let r1 = await w.result("step-r1", within: 5)
        #expect(r1?.status == .rejected && (r1?.reason ?? "").contains("R1"), "\(r1?.reason ?? "no answer")")
        #expect(await LiveJetStream.streamLeader(c, "STEPONE") == leaderOfOne)

        // The system account alone has no say over streams: refused, saying what to give.
        let sysOnly = StateWatcher(jetStream: LiveJetStream.addresses, streamCredentials: nil)
        defer { Task { await sysOnly.stop() } }
        #expect(await sysOnly.until(5) { _ in sysOnly.row("STEP")?.worker != nil })
        #expect(sysOnly.state.engine?.accepts.contains("step_down") == false)
        let id = try #require(sysOnly.row("STEP")?.id)
        #expect(sysOnly.source.send(.stepDown(requestID: "step-sys", partition: id)))
        let sys = await sysOnly.result("step-sys", within: 5)
        #expect(sys?.status == .rejected && (sys?.reason ?? "").contains("stream_auth_env"), "\(sys?.reason ?? "no answer")")
        await Self.deleteStreams(js, ["STEP", "STEPONE"])
    }

    /// `m` on an R1 stream: moved from the server tagged az:N to the one
    /// tagged az:M, followed as a migration (started, its catch-up,
    /// completed) while the stream keeps every message; the stream's
    /// leader on screen is the tag's server, as STREAM.INFO says. A dry
    /// run changes nothing; a placement the servers cannot meet is
    /// refused in nats-server's own words.
    @Test func anR1StreamMovesByPlacementTagAsAMigration() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        let js = JetStream(c)
        await Self.deleteStreams(js, ["MOVE", "MOVETHREE"])
        _ = try await js.ensureStream([
            "name": "MOVE", "subjects": ["move.>"], "num_replicas": 1, "storage": "file", "placement": ["tags": ["az:1"]],
        ])
        _ = try await js.ensureStream(["name": "MOVETHREE", "subjects": ["movethree.>"], "num_replicas": 3, "storage": "file"])
        let payload = Array(repeating: UInt8(ascii: "x"), count: 64)
        for i in 0..<20_000 { c.publish("move.\(i % 10)", payload: payload) }
        _ = try await c.request("move.last", payload: payload, timeout: .seconds(5))
        let stored = try await js.streamInfo("MOVE")
        #expect(stored.messages == 20_001)
        let w = StateWatcher(jetStream: LiveJetStream.addresses, streamCredentials: LiveJetStream.app)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { _ in w.row("MOVE")?.worker == "n1" }, "\(w.row("MOVE")?.worker ?? "none")")
        // Every server's tags once each has answered (a fresh cluster's
        // first polls may have only one server's report).
        #expect(await w.until(5) { JetStreamRules().namedMoves?.targets($0) == ["az:1", "az:2", "az:3"] })

        #expect(w.source.send(.migrate(requestID: "move-dry", tenant: "MOVE", target: "az:2", dryRun: true)))
        let dry = await w.result("move-dry", within: 5)
        #expect(dry?.status == .completed && (dry?.reason ?? "").hasPrefix("dry run"), "\(dry?.reason ?? "no answer")")
        #expect(try await js.streamInfo("MOVE").leader == "n1")

        #expect(w.source.send(.migrate(requestID: "move-1", tenant: "MOVE", target: "az:2", dryRun: false)))
        let accepted = await w.result("move-1", within: 5, final: false)
        #expect(accepted?.status == .accepted, "\(accepted?.reason ?? "no answer")")
        let moved = await w.result("move-1", within: 30)
        #expect(moved?.status == .completed, "\(moved?.reason ?? "no answer")")
        let migration = w.state.orderedMigrations.first { $0.info.tenant == "MOVE" }
        #expect(migration?.info.state == .completed, "\(migration?.info.state.wire ?? "none") \(migration?.info.phase?.wire ?? "")")
        // Done by the leader's own JSZ; its STREAM.INFO was seen to list the
        // old peer a moment longer (once in seven runs): asked until it agrees.
        var info = try await js.streamInfo("MOVE")
        for _ in 0..<25 where info.leader != "n2" || !info.replicas.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            info = try await js.streamInfo("MOVE")
        }
        #expect(info.leader == "n2" && info.replicas.isEmpty, "STREAM.INFO: \(info.leader ?? "none") \(info.replicas.map(\.name))")
        #expect(info.messages == 20_001, "a move keeps every message")
        #expect(await w.until(3) { _ in w.row("MOVE")?.worker == "n2" })
        let events = w.events.compactMap { e -> String? in
            switch e {
            case .migrationStarted(let s) where s.migration.tenant == "MOVE": "started"
            case .migrationProgress: "progress"
            case .migrationCompleted: "completed"
            default: nil
            }
        }
        #expect(events.first == "started" && events.last == "completed", "\(events)")

        // Three replicas on the one server tagged az:1: nats-server refuses, in its words.
        #expect(w.source.send(.migrate(requestID: "move-3", tenant: "MOVETHREE", target: "az:1", dryRun: false)))
        let refused = await w.result("move-3", within: 5)
        #expect(refused?.status == .rejected && (refused?.reason ?? "").hasPrefix("nats-server refused"), "\(refused?.reason ?? "no answer")")
        // A tag no server carries: refused before anything is sent.
        #expect(w.source.send(.migrate(requestID: "move-9", tenant: "MOVE", target: "az:9", dryRun: false)))
        let nowhere = await w.result("move-9", within: 5)
        #expect(nowhere?.status == .rejected && (nowhere?.reason ?? "").contains("no server carries the tag az:9"), "\(nowhere?.reason ?? "")")
        await Self.deleteStreams(js, ["MOVE", "MOVETHREE"])
    }
}
