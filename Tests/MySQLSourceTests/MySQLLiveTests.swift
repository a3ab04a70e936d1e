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

/// The replication of `scripts/mariadb-up` (started by `.ci/run`, which sets
/// CLUSTERDASH_MYSQL and the credentials' variables); without it the suite is skipped.
enum LiveMySQL {
    static let env = ProcessInfo.processInfo.environment
    /// `127.0.0.1:13306,127.0.0.1:13307,127.0.0.1:13308`.
    static var servers: [String] { (env["CLUSTERDASH_MYSQL"] ?? "").split(separator: ",").map(String.init) }
    static var dir: String { env["CLUSTERDASH_MARIADB_DIR"] ?? "/tmp/clusterdash-mariadb" }
    static func auth(_ variable: String) -> MySQLAuth? {
        guard let v = env[variable], let colon = v.firstIndex(of: ":") else { return nil }
        return MySQLAuth(user: String(v[..<colon]), password: String(v[v.index(after: colon)...]))
    }
    static var login: MySQLAuth? { auth("CLUSTERDASH_MYSQL_AUTH") }
    static var replication: MySQLAuth? { auth("CLUSTERDASH_MYSQL_REPL_AUTH") }
    static var enabled: Bool { !servers.isEmpty && login != nil }

    /// Statements on one connection of the test's own; the last one's rows.
    @discardableResult
    static func sql(_ address: String, _ statements: String...) async throws -> [MySQLRow] {
        let hp = try #require(HostPort(address))
        let c = try await MariaDBConnection.connect(
            host: hp.host, port: hp.port, user: login?.user, password: login?.password, connectTimeout: 2, readTimeout: 15)
        defer { c.close() }
        var rows: [MySQLRow] = []
        for s in statements { rows = try await c.query(s) }
        return rows
    }

    static func source(_ tweak: (inout MySQLSourceConfig) -> Void = { _ in }) -> MySQLSource {
        var config = MySQLSourceConfig(servers: [servers.first ?? ""], auth: login, replicationAuth: replication)
        tweak(&config)
        return MySQLSource(config: config, clock: wallClockNow, logger: quietLogger())
    }

    /// The server that replicates from nobody and is writable, by asking each.
    static func primary() async throws -> String {
        for s in servers {
            let replicating = try await sql(s, "SHOW SLAVE STATUS")
            let ro = try await sql(s, "SELECT @@read_only AS ro").first?["ro"]
            if replicating.isEmpty && ro == "0" { return s }
        }
        throw MySQLClientError(code: 0, message: "no primary among \(servers)")
    }

    /// Each server's own `SHOW SLAVE STATUS`, read.
    static func replicaStatus(_ s: String) async throws -> ReplicaStatus? {
        try await sql(s, "SHOW SLAVE STATUS").first.map { try ReplicaStatus.parse($0) }
    }

    /// A node's executed GTID position: the first word of its `position`.
    static func executed(_ e: EngineNodeInfo?) -> String? { e?.position?.split(separator: " ").first.map(String.init) }

    /// The directory of the server on `address` (m1 for 13306).
    static func serverDir(_ address: String) throws -> String {
        let port = try #require(HostPort(address)?.port)
        return "\(dir)/m\(port - 13305)"
    }
}

/// MariaDB GTID replication, watched and operated for real: the view is
/// what each server says, a switchover from `promote` and one made by hand,
/// a duplicate-key error, an errant transaction, `kill -9` of the primary and
/// a failover, and endpoints that refuse or answer garbage. One test at a
/// time: they move the same primary. Each starts from whichever server is
/// the primary now.
@Suite(.serialized, .enabled(if: LiveMySQL.enabled, "needs scripts/mariadb-up")) struct MySQLLiveTests {
    /// A primary and every other server a replica of it with both threads running.
    func steady(_ w: StateWatcher<MySQLSource>, _ seconds: Double = 20) async -> Bool {
        await w.until(seconds) { s in
            let replicas = s.orderedNodes.filter { $0.info.role == .replica }
            return s.primaries.count == 1 && replicas.count == LiveMySQL.servers.count - 1
                && replicas.allSatisfy { $0.info.health == .healthy && $0.info.engine?.tag("sql_thread") == "Yes" }
        }
    }

    func waitResult(_ w: StateWatcher<MySQLSource>, _ id: String, _ seconds: Double = 40) async -> CommandResult? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = w.results.first(where: { $0.requestID == id && $0.status != .accepted }) { return r }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func writes(_ primary: String, _ n: Int) async throws {
        try await LiveMySQL.sql(primary, "CREATE DATABASE IF NOT EXISTS clusterdash_test")
        try await LiveMySQL.sql(primary, "CREATE TABLE IF NOT EXISTS clusterdash_test.t (id BIGINT PRIMARY KEY, v TEXT)")
        for _ in 0..<n {
            try await LiveMySQL.sql(primary, "INSERT INTO clusterdash_test.t VALUES (\(UInt32.random(in: 0...UInt32.max)), 'x')")
        }
    }

    @Test("the view is what each server says: role, source, both threads, seconds and its GTID position")
    func viewIsWhatTheServersSay() async throws {
        let primary = try await LiveMySQL.primary()
        try await writes(primary, 20)
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let settled = await w.until(10) { s in
            let positions = Set(s.orderedNodes.compactMap { LiveMySQL.executed($0.info.engine) })
            return positions.count == 1 && s.followers.values.allSatisfy { $0.lagBytes == 0 }
        }
        #expect(settled, "every server at one position, 0 transactions behind")
        let s = w.state
        #expect(s.primaries == [primary])
        #expect(Set(w.source.knownServers) == Set(LiveMySQL.servers), "the others were found from replication")
        for server in LiveMySQL.servers {
            let node = try #require(s.nodes[server])
            let own = try await LiveMySQL.replicaStatus(server)
            let position = try await LiveMySQL.sql(server, "SELECT @@gtid_current_pos AS p").first?["p"]
            #expect(LiveMySQL.executed(node.info.engine) == position)
            // Its binlog and slave positions are named where they differ from it.
            let positions = try await LiveMySQL.sql(server, "SELECT @@gtid_binlog_pos AS b").first
            if let b = positions?["b"], b != position { #expect(node.info.engine?.position?.contains("binlog \(b)") == true) }
            if let own {
                #expect(node.info.role == .replica)
                #expect(node.info.engine?.upstream == own.source)
                #expect(node.info.engine?.tag("io_thread") == own.ioRunning)
                #expect(node.info.engine?.tag("sql_thread") == own.sqlRunning)
                #expect(node.info.engine?.timeBehindMillis == own.secondsBehind.map { $0 * 1000 })
            } else {
                #expect(node.info.role == .primary)
                #expect(node.info.engine?.upstream == nil)
            }
        }
    }

    @Test("a switchover from promote: each step timed in the log, and the screen and every server agree after")
    func switchoverFromPromote() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let old = try #require(w.state.primaries.first)
        let candidate = try #require(w.state.orderedNodes.first { $0.info.role == .replica }?.id)
        let verdict = MySQLRules().preview(candidate: candidate, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.rejection == nil, "\(verdict.checks.filter { !$0.ok })")
        #expect(w.source.send(.promote(requestID: "live-1", node: candidate)))
        let result = await waitResult(w, "live-1")
        #expect(result?.status == .completed, "\(result?.reason ?? "no result")")
        #expect(result?.reason?.contains("switchover to \(candidate) done") == true, "\(result?.reason ?? "")")
        // The servers were polled before the result was told: the screen
        // already agrees when the result arrives.
        #expect(w.state.primaries == [candidate])
        #expect(await steady(w))
        // Every server agrees: the candidate writable and replicating from
        // nobody, every other one replicating from it, both threads running.
        #expect(try await LiveMySQL.primary() == candidate)
        for server in LiveMySQL.servers where server != candidate {
            let own = try await LiveMySQL.replicaStatus(server)
            #expect(own?.source == candidate, "\(server)")
            #expect(own?.threadsRunning == true, "\(server): \(String(describing: own))")
        }
        #expect(try await LiveMySQL.replicaStatus(old)?.usingGTID == "Current_Pos", "the old primary follows by current_pos")
        // Each step is in the log, with its duration.
        let steps = w.state.log.compactMap { entry -> String? in
            if case .engineNotice(_, "switchover-step", let text) = entry.facts { return text }
            return nil
        }
        for step in ["read_only=1", "writes drained", "caught up", "read_only=0", "follows \(candidate)", "end state read back"] {
            #expect(steps.contains { $0.contains(step) && $0.hasSuffix(" ms)") }, "\(step) in \(steps)")
        }
    }

    @Test("a promotion planned on a poll that is behind the servers changes nothing and says why")
    func stalePlanChangesNothing() async throws {
        let primary = try await LiveMySQL.primary()
        let replicas = LiveMySQL.servers.filter { $0 != primary }
        let told = Mutex<[String]>([])
        // As if the last poll still showed a replica as the primary.
        let runner = MySQLSwitchover(
            plan: MySQLSwitchover.Plan(candidate: replicas[0], primary: replicas[1], replicas: [primary], lostPrimary: nil),
            replicationAuth: LiveMySQL.replication,
            open: { address throws(MySQLClientError) in
                let hp = HostPort(address) ?? HostPort("127.0.0.1:1")!
                return try await MariaDBConnection.connect(
                    host: hp.host, port: hp.port, user: LiveMySQL.login?.user, password: LiveMySQL.login?.password, connectTimeout: 2,
                    readTimeout: 5)
            },
            told: { _, text, _ in told.withLock { $0.append(text) } })
        do {
            _ = try await runner.run()
            Issue.record("a plan naming a replica as the primary was run")
        } catch {
            #expect(error.step == "check")
            #expect(error.why.contains("\(replicas[1]) replicates from \(primary) now"), "\(error.why)")
        }
        #expect(told.withLock { $0 }.isEmpty, "no step ran: \(told.withLock { $0 })")
        #expect(try await LiveMySQL.primary() == primary, "nothing was changed")
        for r in replicas { #expect(try await LiveMySQL.replicaStatus(r)?.source == primary) }
    }

    @Test("a switchover made by hand with SQL is followed within a poll or two")
    func switchoverByHandIsFollowed() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let old = try #require(w.state.primaries.first)
        let candidate = try #require(w.state.orderedNodes.last { $0.info.role == .replica }?.id)
        let repl = try #require(LiveMySQL.replication)
        let to = try #require(HostPort(candidate))
        try await LiveMySQL.sql(old, "SET GLOBAL read_only=1")
        let pos = try #require(try await LiveMySQL.sql(old, "SELECT @@gtid_binlog_pos AS p").first?["p"])
        // Caught up: its executed position reaches the old primary's (MASTER_GTID_WAIT
        // watches gtid_slave_pos alone, which lacks a former primary's own writes).
        let target = try #require(GTIDPosition(parsing: pos))
        var reached = false
        for _ in 0..<200 where !reached {
            let mine = try await LiveMySQL.sql(candidate, "SELECT @@gtid_current_pos AS p").first?["p"]
            reached = mine.flatMap { GTIDPosition(parsing: $0) }?.reaches(target) ?? false
            if !reached { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reached, "\(candidate) at \(pos)")
        try await LiveMySQL.sql(candidate, "STOP SLAVE")
        try await LiveMySQL.sql(candidate, "RESET SLAVE ALL")
        try await LiveMySQL.sql(candidate, "SET GLOBAL read_only=0")
        let changed = Date()
        for server in LiveMySQL.servers where server != candidate {
            try await LiveMySQL.sql(server, "STOP SLAVE")
            let login = server == old ? ", MASTER_USER='\(repl.user)', MASTER_PASSWORD='\(repl.password)'" : ""
            // As an operator would: current_pos for a server that wrote as a primary once.
            let same = try await LiveMySQL.sql(server, "SELECT @@gtid_current_pos = @@gtid_slave_pos AS same").first?["same"]
            let mode = server == old || same != "1" ? "current_pos" : "slave_pos"
            try await LiveMySQL.sql(server, "CHANGE MASTER TO MASTER_HOST='\(to.host)', MASTER_PORT=\(to.port)\(login), MASTER_USE_GTID=\(mode)")
            try await LiveMySQL.sql(server, "START SLAVE")
        }
        let seen = await w.until(5) { $0.primaries == [candidate] }
        #expect(seen, "the new primary on screen")
        print("MySQL: a switchover by hand on screen \(Int(Date().timeIntervalSince(changed) * 1000)) ms after the last statement")
        #expect(await steady(w))
        #expect(w.state.log.contains { if case .roleChanged(candidate, _, .primary, _, _) = $0.facts { return true } else { return false } })
    }

    @Test("a duplicate key stops a replica's SQL thread: 1062 and its text are shown, and it recovers once fixed")
    func duplicateKeyIsShown() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let primary = try #require(w.state.primaries.first)
        let replica = try #require(w.state.orderedNodes.first { $0.info.role == .replica }?.id)
        try await writes(primary, 1)
        #expect(await steady(w))
        let id = UInt32.random(in: 0...UInt32.max)
        // Written on the replica alone, out of the binlog (so no errant GTID).
        try await LiveMySQL.sql(replica, "SET sql_log_bin=0", "INSERT INTO clusterdash_test.t VALUES (\(id), 'local')")
        try await LiveMySQL.sql(primary, "INSERT INTO clusterdash_test.t VALUES (\(id), 'primary')")
        let shown = await w.until(10) { s in
            let e = s.nodes[replica]?.info.engine
            return e?.tag("sql_thread") == "No" && e?.state?.contains("SQL No: 1062") == true
        }
        #expect(shown, "\(w.state.nodes[replica]?.info.engine?.state ?? "-")")
        #expect(w.state.nodes[replica]?.info.health == .degraded)
        let verdict = MySQLRules().preview(candidate: replica, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.rejection != nil, "a replica whose SQL thread stopped is no candidate")
        try await LiveMySQL.sql(replica, "SET sql_log_bin=0", "DELETE FROM clusterdash_test.t WHERE id=\(id)")
        try await LiveMySQL.sql(replica, "START SLAVE")
        #expect(await steady(w))
    }

    @Test("an errant transaction on a replica is named on that node and blocks it as a candidate")
    func errantTransactionIsShown() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let primary = try #require(w.state.primaries.first)
        let replica = try #require(w.state.orderedNodes.last { $0.info.role == .replica }?.id)
        try await writes(primary, 1)
        // A write on the replica, in its binlog, under its own server id (the
        // test's user bypasses read_only, as root would).
        try await LiveMySQL.sql(replica, "INSERT INTO clusterdash_test.t VALUES (\(UInt32.random(in: 0...UInt32.max)), 'errant')")
        let errant = try #require(try await LiveMySQL.sql(replica, "SELECT @@gtid_binlog_pos AS p").first?["p"])
        let shown = await w.until(10) { $0.nodes[replica]?.info.engine?.tag("errant") == errant }
        #expect(shown, "errant \(errant) on \(replica): \(w.state.nodes[replica]?.info.engine?.state ?? "-")")
        let verdict = MySQLRules().preview(candidate: replica, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.checks.contains { !$0.ok && ($0.detail ?? "").contains("errant transaction \(errant)") })
        // Undone the way an operator would: the replica's binlog reset to what it replicated.
        try await LiveMySQL.sql(replica, "STOP SLAVE")
        let applied = try #require(try await LiveMySQL.sql(replica, "SELECT @@gtid_slave_pos AS p").first?["p"])
        try await LiveMySQL.sql(replica, "RESET MASTER")
        try await LiveMySQL.sql(replica, "SET GLOBAL gtid_binlog_state='\(applied)'")
        try await LiveMySQL.sql(replica, "SET GLOBAL gtid_slave_pos='\(applied)'")
        try await LiveMySQL.sql(replica, "START SLAVE")
        #expect(await w.until(10) { $0.nodes[replica]?.info.engine?.tag("errant") == nil })
        #expect(await steady(w))
    }

    @Test("kill -9 of the primary: Connecting, unknown seconds, the failover preview; then a failover from promote")
    func killedPrimaryThenFailover() async throws {
        let w = StateWatcher(source: LiveMySQL.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let old = try #require(w.state.primaries.first)
        try await writes(old, 10)
        let dir = try LiveMySQL.serverDir(old)
        let pid = try #require(ChildProcess.pid(dir + "/pid"))
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let seen = await w.until(10) { s in
            s.nodes[old]?.info.health == .unhealthy
                && s.orderedNodes.filter { $0.info.role == .replica }.allSatisfy { n in
                    n.info.engine?.tag("io_thread") == "Connecting" && n.info.engine?.timeBehind == .unknown
                }
        }
        #expect(seen, "\(w.state.orderedNodes.map { "\($0.id) \($0.info.health.wire) \($0.info.engine?.state ?? "")" })")
        let candidate = try #require(w.state.orderedNodes.first { $0.info.role == .replica }?.id)
        let verdict = MySQLRules().preview(candidate: candidate, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.rejection == nil, "\(verdict.checks.filter { !$0.ok })")
        #expect(verdict.checks.contains { ($0.detail ?? "").contains("failover") })
        #expect(w.source.send(.promote(requestID: "live-failover", node: candidate)))
        let result = await waitResult(w, "live-failover")
        #expect(result?.status == .completed, "\(result?.reason ?? "no result")")
        #expect(result?.reason?.contains("failover to \(candidate) done") == true, "\(result?.reason ?? "")")
        #expect(await w.until(10) { $0.primaries.first == candidate })
        // The old primary back, as a replica of the new one.
        let args = try String(contentsOfFile: dir + "/args", encoding: .utf8).split(separator: "\n").map(String.init)
        let restarted = try #require(ChildProcess.spawn(args))
        try "\(restarted)\n".write(toFile: dir + "/pid", atomically: true, encoding: .utf8)
        var up = false
        for _ in 0..<200 where !up {
            up = (try? await LiveMySQL.sql(old, "SELECT 1")) != nil
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(up, "the killed server restarted")
        let repl = try #require(LiveMySQL.replication)
        let to = try #require(HostPort(candidate))
        try await LiveMySQL.sql(old, "SET GLOBAL read_only=1")
        try await LiveMySQL.sql(
            old,
            "CHANGE MASTER TO MASTER_HOST='\(to.host)', MASTER_PORT=\(to.port), MASTER_USER='\(repl.user)', MASTER_PASSWORD='\(repl.password)', MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1"
        )
        try await LiveMySQL.sql(old, "START SLAVE")
        #expect(await steady(w, 30), "\(w.state.orderedNodes.map { "\($0.id) \($0.info.health.wire) \($0.info.engine?.state ?? "")" })")
    }

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
