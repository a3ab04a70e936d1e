import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import MySQLSource

/// `clusterdash-bench mysql`: measured on the replication of
/// `scripts/mariadb-up` (docs/PERFORMANCE.md, "MySQL"). Not a default phase:
/// it moves the primary over and over.
///
/// - Role change to screen: a switchover made by hand with SQL, from the
///   moment the new primary's `read_only=0` returns to the first 33 ms frame
///   whose state shows it the primary.
/// - Each step of a switchover run by `promote` (the step notices' own
///   durations), and the whole.
/// - The poll's cost: statements per second on each server (the servers'
///   own `Questions` counters) and the servers' CPU, idle and with one
///   source polling every 500 ms.
struct MySQLBench {
    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench mysql [--switchovers N] [--seconds S]`; the servers
    /// and credentials from CLUSTERDASH_MYSQL, CLUSTERDASH_MYSQL_AUTH,
    /// CLUSTERDASH_MYSQL_REPL_AUTH and CLUSTERDASH_MARIADB_DIR (as `.ci/run` sets them).
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String {
            args.firstIndex(of: flag).flatMap { i in args.index(after: i) < args.endIndex ? args[args.index(after: i)] : nil } ?? fallback
        }
        let env = ProcessInfo.processInfo.environment
        let servers = (env["CLUSTERDASH_MYSQL"] ?? "127.0.0.1:13306,127.0.0.1:13307,127.0.0.1:13308").split(separator: ",").map(String.init)
        guard let auth = credentials(env["CLUSTERDASH_MYSQL_AUTH"]), let repl = credentials(env["CLUSTERDASH_MYSQL_REPL_AUTH"]) else {
            throw SpawnFailure(description: "set CLUSTERDASH_MYSQL_AUTH and CLUSTERDASH_MYSQL_REPL_AUTH (user:password)")
        }
        let dir = env["CLUSTERDASH_MARIADB_DIR"] ?? "/tmp/clusterdash-mariadb"
        let switchovers = Int(value("--switchovers", "10")) ?? 10
        let seconds = Double(value("--seconds", "20")) ?? 20
        let bench = MySQLBench(servers: servers, auth: auth, repl: repl)

        let shown = try await bench.roleChangeToScreen(switchovers)
        print("a switchover by hand (the new primary's read_only=0) -> first frame showing it the primary (33 ms frames, 500 ms polls)")
        print("  \(stats(shown)) (\(shown.count) switchovers)")
        let (steps, totals) = try await bench.promoteSteps(switchovers)
        print("a switchover by promote, step by step (median, max of \(totals.count))")
        for (name, xs) in steps { print("  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(stats(xs))") }
        print("  \("whole switchover".padding(toLength: 34, withPad: " ", startingAt: 0)) \(stats(totals))")
        let pids = servers.compactMap { s -> pid_t? in
            guard let port = s.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
            return (try? String(contentsOfFile: "\(dir)/m\(port - 13305)/pid", encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        print("the poll's cost on the servers (\(Int(seconds)) s each; statements/s per server from Questions, CPU of all mariadbd, % of one core)")
        let idle = try await bench.load(pids: pids, seconds: seconds, polling: false)
        print("  idle:                      \(String(format: "%6.1f", idle.perServer)) statements/s  \(String(format: "%5.2f", idle.cpu)) % CPU")
        let polled = try await bench.load(pids: pids, seconds: seconds, polling: true)
        print(
            "  one source polling (500 ms): \(String(format: "%4.1f", polled.perServer)) statements/s  \(String(format: "%5.2f", polled.cpu)) % CPU")
    }

    static func credentials(_ v: String?) -> MySQLAuth? {
        guard let v, let colon = v.firstIndex(of: ":") else { return nil }
        return MySQLAuth(user: String(v[..<colon]), password: String(v[v.index(after: colon)...]))
    }

    static func stats(_ xs: [Double]) -> String {
        let s = xs.sorted()
        guard !s.isEmpty else { return "no samples" }
        return "median \(Int(s[s.count / 2])) ms, max \(Int(s[s.count - 1])) ms"
    }

    let servers: [String]
    let auth: MySQLAuth
    let repl: MySQLAuth

    @discardableResult
    func sql(_ address: String, _ statement: String) async throws -> [MySQLRow] {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw SpawnFailure(description: "not host:port: \(address)") }
        let c = try await MariaDBConnection.connect(
            host: String(parts[0]), port: port, user: auth.user, password: auth.password, connectTimeout: 2, readTimeout: 15)
        defer { c.close() }
        return try await c.query(statement)
    }

    func source() -> MySQLSource {
        MySQLSource(config: MySQLSourceConfig(servers: [servers[0]], auth: auth, replicationAuth: repl), clock: wallClockNow, logger: benchLogger())
    }

    /// Drains `source` on the dashboard's frame grid into a state; `onFrame` sees each.
    func frames(_ source: MySQLSource, _ onFrame: @escaping @Sendable (ClusterState, Int64) -> Void) -> Task<Void, Never> {
        Task {
            var state = ClusterState()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Self.frameMillis))
                for r in source.queue.take().items { state.apply(r.envelope) }
                onFrame(state, wallClockNow().millis)
            }
        }
    }

    /// Waits for one primary and every other server replicating it; the primary and a replica.
    func steady(_ seen: Locked<ClusterState>) async throws -> (String, String) {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let s = seen.withLock { $0 }
            let replicas = s.orderedNodes.filter {
                $0.info.role == .replica && $0.info.health == .healthy && $0.info.engine?.tag("sql_thread") == "Yes"
            }
            if s.primaries.count == 1, replicas.count == servers.count - 1, let p = s.primaries.first, let r = replicas.first?.id { return (p, r) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SpawnFailure(description: "the replication did not settle in 30 s")
    }

    func roleChangeToScreen(_ n: Int) async throws -> [Double] {
        let s = source()
        s.start()
        let seen = Locked(ClusterState())
        let firstShown = Locked<[String: Int64]>([:])
        let drain = frames(s) { state, now in
            seen.withLock { $0 = state }
            if let p = state.primaries.first { firstShown.withLock { f in if f[p] == nil { f[p] = now } } }
        }
        defer { drain.cancel() }
        var out: [Double] = []
        for _ in 0..<n {
            let (old, candidate) = try await steady(seen)
            // At a random moment of the poll's cycle (right after a frame
            // showed the steady state, every change would wait a whole poll).
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<500)))
            firstShown.withLock { $0 = [:] }
            let parts = candidate.split(separator: ":")
            try await sql(old, "SET GLOBAL read_only=1")
            let pos = try await sql(old, "SELECT @@gtid_binlog_pos AS p").first?["p"] ?? ""
            for _ in 0..<200 {
                let mine = try await sql(candidate, "SELECT @@gtid_current_pos AS p").first?["p"].flatMap { GTIDPosition(parsing: $0) }
                if let mine, let target = GTIDPosition(parsing: pos), mine.reaches(target) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await sql(candidate, "STOP SLAVE")
            try await sql(candidate, "RESET SLAVE ALL")
            _ = try await sql(candidate, "SET GLOBAL read_only=0")
            let writable = wallClockNow().millis
            for server in servers where server != candidate {
                let same = try await sql(server, "SELECT @@gtid_current_pos = @@gtid_slave_pos AS same").first?["same"]
                let login = server == old ? ", MASTER_USER='\(repl.user)', MASTER_PASSWORD='\(repl.password)'" : ""
                let mode = server == old || same != "1" ? "current_pos" : "slave_pos"
                try await sql(server, "STOP SLAVE")
                try await sql(server, "CHANGE MASTER TO MASTER_HOST='\(parts[0])', MASTER_PORT=\(parts[1])\(login), MASTER_USE_GTID=\(mode)")
                try await sql(server, "START SLAVE")
            }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, firstShown.withLock({ $0[candidate] }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            if let at = firstShown.withLock({ $0[candidate] }) { out.append(Double(at - writable)) }
        }
        await s.stop()
        return out
    }

    func promoteSteps(_ n: Int) async throws -> ([(String, [Double])], [Double]) {
        let s = source()
        s.start()
        let seen = Locked(ClusterState())
        let drain = frames(s) { state, _ in seen.withLock { $0 = state } }
        defer { drain.cancel() }
        var steps: [String: [Double]] = [:]
        var order: [String] = []
        var totals: [Double] = []
        for i in 0..<n {
            let (_, candidate) = try await steady(seen)
            let id = "bench-\(i)"
            _ = s.send(.promote(requestID: id, node: candidate))
            let deadline = Date().addingTimeInterval(40)
            var reason: String?
            while Date() < deadline, reason == nil {
                reason = seen.withLock { st in
                    st.log.lazy.compactMap { e -> String? in
                        guard case .command(_, id, .completed, let r) = e.facts else { return nil }
                        return r
                    }.first
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            guard let reason, let total = Self.millis(in: reason) else { throw SpawnFailure(description: "switchover \(i) did not complete") }
            totals.append(total)
            for e in seen.withLock({ $0.log }) where e.correlationID == id {
                guard case .engineNotice(_, "switchover-step", let text) = e.facts, let ms = Self.millis(in: text) else { continue }
                let name = Self.stepName(text)
                if steps[name] == nil { order.append(name) }
                steps[name, default: []].append(ms)
            }
        }
        await s.stop()
        return (order.map { ($0, steps[$0] ?? []) }, totals)
    }

    /// A step's name without the servers it names, its detail and its
    /// duration: "127.0.0.1:13307 caught up: at 0-1-4 (0 ms)" is "caught up".
    static func stepName(_ text: String) -> String {
        let head = text.components(separatedBy: " (").first?.components(separatedBy: ": ").first ?? text
        return head.split(separator: " ").filter { !($0.contains(":") && $0.contains(".")) }.joined(separator: " ")
    }

    /// The last "(N ms)" or "in N ms" in `text`.
    static func millis(in text: String) -> Double? {
        guard let r = text.range(of: #"[0-9]+ ms"#, options: [.regularExpression, .backwards]) else { return nil }
        return Double(text[r].dropLast(3))
    }

    func load(pids: [pid_t], seconds: Double, polling: Bool) async throws -> (perServer: Double, cpu: Double) {
        let s = polling ? source() : nil
        s?.start()
        let drain = s.map { frames($0) { _, _ in } }
        defer { drain?.cancel() }
        try await Task.sleep(for: .seconds(2))
        func questions() async throws -> Double {
            var n = 0.0
            for server in servers {
                n += Double(try await sql(server, "SHOW GLOBAL STATUS LIKE 'Questions'").first?["Value"] ?? "0") ?? 0
            }
            return n
        }
        let q0 = try await questions()
        let cpu0 = pids.map(IdleCPU.cpuNanos).reduce(0, +)
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let secs = inSeconds(ContinuousClock.now - t0)
        let cpu = Double(pids.map(IdleCPU.cpuNanos).reduce(0, +) - cpu0) / 1e9 / secs * 100
        // Each server's own two reads of Questions (one connection, two statements) are not the poll's.
        let q = try await questions() - q0 - Double(servers.count * 2)
        await s?.stop()
        return (q / secs / Double(servers.count), cpu)
    }
}
