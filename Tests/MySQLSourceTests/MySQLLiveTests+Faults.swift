import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EngineKit
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import Synchronization
import Testing

@testable import MySQLSource

// Servers that stop, refuse, answer garbage or are served through the
// gateway: part of MySQLLiveTests (one suite, one test at a time: they all
// share the same primary).
extension MySQLLiveTests {
    @Test("a stopped server (SIGSTOP) is no answer within a poll, and never holds up what the others say")
    func stoppedServerHoldsUpNobody() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let primary = try #require(w.state.primaries.first)
        let replicas = w.state.orderedNodes.filter { $0.info.role == .replica }.map(\.id)
        let stopped = try #require(replicas.last)
        let other = try #require(replicas.first { $0 != stopped })
        let pid = try #require(ChildProcess.pid(try LiveMySQL.serverDir(stopped) + "/pid"))
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        // First the poll's deadline says so ("no answer in 900 ms"), then the
        // connection's own timeouts; either way it is unreachable.
        let silent = await w.until(5) { ($0.nodes[stopped]?.info.engine?.state ?? "").hasPrefix("unreachable") }
        #expect(silent, "\(w.state.nodes[stopped]?.info.engine?.state ?? "-")")
        // While it is stopped, a write on the primary reaches the other replica's line.
        try await writes(primary, 1)
        let position = try #require(try await LiveMySQL.sql(primary, "SELECT @@gtid_binlog_pos AS p").first?["p"])
        let moved = await w.until(5) { LiveMySQL.executed($0.nodes[other]?.info.engine) == position }
        #expect(moved, "\(other) at \(w.state.nodes[other]?.info.engine?.position ?? "-"), wanted \(position)")
        kill(pid, SIGCONT)
        #expect(await steady(w, 30))
    }

    @Test("a wrong password, a port nobody listens on and one that answers garbage: a status each, never a crash")
    func badEndpoints() async throws {
        let garbage = try await GarbageServer.start(first: true)
        defer { Task { await garbage.stop() } }
        let free = try #require(LoopbackPort.free())
        let good = try #require(LiveMySQL.servers.first)
        let w = StateWatcher(
            source: LiveMySQL.source { c in
                c.servers = ["127.0.0.1:\(free)", "127.0.0.1:\(garbage.port)", good]
            })
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let reasons = w.source.statuses.map { s -> String in
            if case .backingOff(_, _, let reason) = s { return reason }
            return s.isLive ? "live" : "\(s)"
        }
        #expect(reasons[0].contains("refused"), "\(reasons)")
        #expect(reasons[1].contains("not MySQL") || reasons[1].contains("lost"), "\(reasons)")
        #expect(reasons[2] == "live")
        let password = try #require(LiveMySQL.login?.password)
        let wrong = StateWatcher(
            source: LiveMySQL.source { c in c.auth = MySQLAuth(user: LiveMySQL.login?.user ?? "", password: "not-\(password)") })
        defer { Task { await wrong.stop() } }
        var said = ""
        for _ in 0..<60 where said.isEmpty {
            if case .backingOff(_, _, let reason) = wrong.source.statuses.first { said = reason }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(said.contains("wrong user or password"), "\(said)")
        #expect(!said.contains(password))
        #expect(wrong.state.nodes.isEmpty, "nothing is made up")
    }

    @Test("behind the gateway: a WebSocket client gets the topology, and its promote is a switchover answered to it")
    func behindTheGateway() async throws {
        let source = LiveMySQL.source()
        let core = StreamCore(engine: RelayEngine(sink: source, clock: wallClockNow))
        var options = StreamServerOptions()
        options.port = 0
        options.operateToken = "operate-secret"
        options.realtime = false
        let server = try await StreamServer.serve(
            core: core, options: options, services: [RelayPump(source: source, core: core)], logger: quietLogger())
        defer { Task { await server.stop() } }
        let client = TestStreamClient(url: server.url, token: "operate-secret")
        defer { client.close() }
        client.send(.subscribe(resume: nil))
        let snapshot = try await client.waitFor("the snapshot") { $0.contains { $0.type == "cluster.snapshot" } }
        guard case .snapshot(let s)? = snapshot.first(where: { $0.type == "cluster.snapshot" })?.event else {
            Issue.record("no snapshot")
            return
        }
        let primary = try await LiveMySQL.primary()
        #expect(s.leader == primary)
        #expect(s.engine?.name == "mysql" && s.engine?.lagUnit == "transactions")
        let candidate = try #require(s.nodes.first { $0.role == .replica }?.id)
        client.send(.promote(requestID: "gw-mysql", node: candidate))
        let answered = try await client.waitFor("the switchover's result", timeout: .seconds(40)) { es in
            es.contains { e in
                if case .commandResult(let r) = e.event { return r.requestID == "gw-mysql" && r.status != .accepted }
                return false
            }
        }
        let result = answered.compactMap { e -> CommandResult? in
            if case .commandResult(let r) = e.event, r.requestID == "gw-mysql" { return r }
            return nil
        }.last
        #expect(result?.status == .completed, "\(result?.reason ?? "")")
        #expect(try await LiveMySQL.primary() == candidate)
    }
}
