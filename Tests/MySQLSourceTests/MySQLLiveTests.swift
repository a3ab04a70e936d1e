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
}
