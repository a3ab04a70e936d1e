import EngineKit
import MySQLRules

/// A switchover (the primary answers) or a failover (it does not) to a
/// replica, step by step, each step told with its duration:
///
/// switchover: the old primary `read_only=1`, its open transactions
/// drained; its `gtid_binlog_pos` read; the candidate waits for it
/// (`MASTER_GTID_WAIT`), stops and resets its replication and becomes
/// writable; every other replica is pointed at it (`MASTER_USE_GTID=slave_pos`,
/// or `current_pos` for one that has written transactions of its own as a
/// primary once) and the old primary too (`current_pos`, with the
/// replication user);
/// then the end state is read back. A failure before the candidate is
/// writable puts the old primary back to writable.
///
/// failover: the candidate applies what it has received
/// (`MASTER_GTID_WAIT` on its `Gtid_IO_Pos`), stops and resets its
/// replication, becomes writable, and the other replicas follow it.
struct MySQLSwitchover {
    struct Plan: Sendable {
        var candidate: String
        /// The primary to hand over from; nil in a failover.
        var primary: String?
        /// The other replicas to point at the candidate.
        var replicas: [String]
        /// The primary that does not answer (a failover), named in the result.
        var lostPrimary: String?
    }

    /// Where it stopped and why.
    struct Failure: Error {
        var step: String
        var why: String
    }

    var plan: Plan
    var replicationAuth: MySQLAuth?
    var drainTimeoutSeconds = 5
    var catchUpTimeoutSeconds = 10
    var followTimeout: Duration = .seconds(10)
    /// Opens a connection of its own to a server.
    let open: @Sendable (String) async throws(MySQLClientError) -> MariaDBConnection
    /// Tells one step: the node, what was done, its duration in milliseconds
    /// (nil for what was not a step: a rollback, a server left out).
    let told: @Sendable (_ node: String?, _ text: String, _ millis: Int64?) -> Void

    /// Runs the plan; the summary for the command's result.
    func run() async throws(Failure) -> String {
        var connections: [String: MariaDBConnection] = [:]
        defer { for c in connections.values { c.close() } }
        func connection(_ address: String, step: String) async throws(Failure) -> MariaDBConnection {
            if let c = connections[address] { return c }
            do {
                let c = try await open(address)
                connections[address] = c
                return c
            } catch {
                throw Failure(step: step, why: "\(address): \(error.words)")
            }
        }
        func step(_ node: String?, _ name: String, _ body: () async throws(Failure) -> String?) async throws(Failure) {
            let start = ContinuousClock.now
            let detail = try await body()
            told(node, detail.map { "\(name): \($0)" } ?? name, (ContinuousClock.now - start).wholeMilliseconds)
        }
        func exec(_ c: MariaDBConnection, _ sql: String, step: String) async throws(Failure) -> [MySQLRow] {
            do {
                return try await c.query(sql)
            } catch {
                throw Failure(step: step, why: error.words)
            }
        }
        guard let candidateAddress = HostPort(plan.candidate) else {
            throw Failure(step: "plan", why: "\(plan.candidate) is not host:port")
        }
        let candidate = try await connection(plan.candidate, step: "connect to \(plan.candidate)")
        // The plan comes from the last poll, which may be behind the servers
        // (a switchover just made, one made by hand): the roles it names are
        // checked on the servers themselves before anything is changed.
        try await step(nil, "roles checked on the servers") { () throws(Failure) in
            let replicating = try await exec(candidate, "SHOW SLAVE STATUS", step: "check \(plan.candidate)")
            guard !replicating.isEmpty else {
                throw Failure(step: "check", why: "\(plan.candidate) replicates from nobody now (the last poll was behind): nothing was changed")
            }
            if let primary = plan.primary {
                let p = try await connection(primary, step: "connect to \(primary)")
                let source = try await exec(p, "SHOW SLAVE STATUS", step: "check \(primary)").first.flatMap { try? ReplicaStatus.parse($0) }
                let readOnly = try await exec(p, "SELECT @@GLOBAL.read_only AS ro", step: "check \(primary)").first?["ro"]
                if let source {
                    throw Failure(
                        step: "check",
                        why: "\(primary) replicates from \(source.source) now, it is no primary (the last poll was behind): nothing was changed")
                }
                if readOnly != "0" {
                    throw Failure(step: "check", why: "\(primary) is read-only now, it is no primary (the last poll was behind): nothing was changed")
                }
            }
            return nil
        }
        var madeReadOnly: MariaDBConnection?
        do throws(Failure) {
            if let primary = plan.primary {
                let p = try await connection(primary, step: "connect to \(primary)")
                try await step(primary, "\(primary) read_only=1") { () throws(Failure) in
                    _ = try await exec(p, "SET GLOBAL read_only=1", step: "\(primary) read_only=1")
                    madeReadOnly = p
                    return nil
                }
                try await step(primary, "\(primary) writes drained") { () throws(Failure) in
                    try await drain(p, primary, exec: exec)
                }
                var target = ""
                try await step(primary, "\(primary) gtid_binlog_pos read") { () throws(Failure) in
                    target =
                        try await exec(p, "SELECT @@GLOBAL.gtid_binlog_pos AS pos", step: "read \(primary)'s gtid_binlog_pos").first?["pos"] ?? ""
                    return target
                }
                try await step(plan.candidate, "\(plan.candidate) caught up") { () throws(Failure) in
                    try await wait(candidate, for: target, step: "\(plan.candidate) catches up with \(primary)", exec: exec)
                }
            } else {
                let status = try await exec(candidate, "SHOW SLAVE STATUS", step: "read \(plan.candidate)'s replica status").first
                let received = status?["Gtid_IO_Pos"] ?? ""
                try await step(plan.candidate, "\(plan.candidate) applied what it received") { () throws(Failure) in
                    try await wait(candidate, for: received, step: "\(plan.candidate) applies its relay log", exec: exec)
                }
            }
            try await step(plan.candidate, "\(plan.candidate) replication stopped and reset") { () throws(Failure) in
                _ = try await exec(candidate, "STOP SLAVE", step: "\(plan.candidate) STOP SLAVE")
                _ = try await exec(candidate, "RESET SLAVE ALL", step: "\(plan.candidate) RESET SLAVE ALL")
                return nil
            }
            try await step(plan.candidate, "\(plan.candidate) read_only=0") { () throws(Failure) in
                _ = try await exec(candidate, "SET GLOBAL read_only=0", step: "\(plan.candidate) read_only=0")
                return nil
            }
        } catch {
            if let p = madeReadOnly, let primary = plan.primary {
                // Back as it was: the old primary takes writes again.
                let undone = (try? await p.query("SET GLOBAL read_only=0")) != nil
                told(primary, undone ? "rolled back: \(primary) read_only=0" : "rollback failed: \(primary) is still read_only=1", nil)
            }
            throw error
        }
        // The candidate is the primary now: from here nothing is rolled back;
        // a server that does not follow is named in the result.
        var unpointed: [String] = []
        let to = "MASTER_HOST=\(sqlString(candidateAddress.host)), MASTER_PORT=\(candidateAddress.port)"
        for replica in plan.replicas {
            do throws(Failure) {
                let r = try await connection(replica, step: "connect to \(replica)")
                try await step(replica, "\(replica) follows \(plan.candidate)") { () throws(Failure) in
                    // A server that was a primary once holds transactions of its
                    // own that its slave_pos lacks: it goes on from its current_pos.
                    let same = try await exec(r, "SELECT @@gtid_current_pos = @@gtid_slave_pos AS same", step: "\(replica) positions")
                    let mode = same.first?["same"] == "1" ? "slave_pos" : "current_pos"
                    _ = try await exec(r, "STOP SLAVE", step: "\(replica) STOP SLAVE")
                    _ = try await exec(r, "CHANGE MASTER TO \(to), MASTER_USE_GTID=\(mode)", step: "\(replica) CHANGE MASTER")
                    _ = try await exec(r, "START SLAVE", step: "\(replica) START SLAVE")
                    return mode
                }
            } catch {
                told(replica, "\(replica) not pointed at \(plan.candidate): \(error.step): \(error.why)", nil)
            }
        }
        var followers = plan.replicas
        if let primary = plan.primary {
            if let auth = replicationAuth {
                followers.append(primary)
                do throws(Failure) {
                    let p = try await connection(primary, step: "connect to \(primary)")
                    try await step(primary, "\(primary) follows \(plan.candidate)") { () throws(Failure) in
                        let login = "MASTER_USER=\(sqlString(auth.user)), MASTER_PASSWORD=\(sqlString(auth.password))"
                        _ = try await exec(p, "STOP SLAVE", step: "\(primary) STOP SLAVE")
                        // The statement holds the password: a failure is told by its number, never its text.
                        do throws(MySQLClientError) {
                            _ = try await p.query("CHANGE MASTER TO \(to), \(login), MASTER_USE_GTID=current_pos")
                        } catch {
                            throw Failure(step: "\(primary) CHANGE MASTER", why: "error \(error.code)")
                        }
                        _ = try await exec(p, "START SLAVE", step: "\(primary) START SLAVE")
                        return nil
                    }
                } catch {
                    told(primary, "\(primary) not pointed at \(plan.candidate): \(error.step): \(error.why)", nil)
                }
            } else {
                unpointed.append("\(primary) (read-only, replicating from nobody: no replication user given, --mysql-repl-auth-env)")
                told(primary, "\(primary) left read-only, replicating from nobody: no replication user given", nil)
            }
        }
        // The end state, read back.
        var lagging: [String] = []
        try await step(nil, "end state read back") { () throws(Failure) in
            lagging = await readBack(followers, connections: connections)
            return lagging.isEmpty ? "every server replicates from \(plan.candidate)" : "not following: \(lagging.joined(separator: "; "))"
        }
        let problems = lagging + unpointed
        let lost = plan.lostPrimary.map { "; \($0) did not answer (left as it is)" } ?? ""
        return problems.isEmpty
            ? "\(plan.primary == nil ? "failover" : "switchover") to \(plan.candidate) done\(lost)"
            : "\(plan.candidate) is the primary; did not follow: \(problems.joined(separator: "; "))\(lost)"
    }

    /// Waits until no transaction of the old primary is open, at most
    /// `drainTimeoutSeconds`; the count left is the failure's reason.
    func drain(
        _ p: MariaDBConnection, _ primary: String,
        exec: (MariaDBConnection, String, String) async throws(Failure) -> [MySQLRow]
    ) async throws(Failure) -> String? {
        let deadline = ContinuousClock.now.advanced(by: .seconds(drainTimeoutSeconds))
        var open = 0
        repeat {
            let rows = try await exec(
                p, "SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()",
                "count \(primary)'s open transactions")
            open = Int(rows.first?["n"] ?? "0") ?? 0
            if open == 0 { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        throw Failure(step: "\(primary) writes drained", why: "\(open) transactions still open after \(drainTimeoutSeconds) s")
    }

    /// Waits until `c` has executed `position` (its `gtid_current_pos`
    /// reaches it in every domain), at most `catchUpTimeoutSeconds`.
    /// `MASTER_GTID_WAIT` a second at a time does the waiting: it watches
    /// `gtid_slave_pos` alone, which lacks what a server wrote itself as a
    /// primary once, so the executed position decides.
    func wait(
        _ c: MariaDBConnection, for position: String, step: String,
        exec: (MariaDBConnection, String, String) async throws(Failure) -> [MySQLRow]
    ) async throws(Failure) -> String? {
        guard !position.isEmpty else { return "nothing to wait for" }
        guard let target = GTIDPosition(parsing: position) else { throw Failure(step: step, why: "no GTID position: \(position.prefix(60))") }
        let deadline = ContinuousClock.now.advanced(by: .seconds(catchUpTimeoutSeconds))
        while true {
            let text = try await exec(c, "SELECT @@GLOBAL.gtid_current_pos AS p", step).first?["p"] ?? ""
            let mine = GTIDPosition(parsing: text)
            if let mine, mine.reaches(target) { return "at \(position)" }
            guard ContinuousClock.now < deadline else {
                let behind = mine.map { " (\($0.behind(target)) transactions behind)" } ?? ""
                throw Failure(step: step, why: "not at \(position) after \(catchUpTimeoutSeconds) s\(behind)")
            }
            _ = try await exec(c, "SELECT MASTER_GTID_WAIT(\(sqlString(position)), 1) AS w", step)
        }
    }

    /// Which of `followers` do not replicate from the candidate with both
    /// threads running, given `followTimeout` to get there.
    func readBack(_ followers: [String], connections: [String: MariaDBConnection]) async -> [String] {
        let deadline = ContinuousClock.now.advanced(by: followTimeout)
        var pending = followers
        var why: [String: String] = [:]
        while !pending.isEmpty {
            var still: [String] = []
            for f in pending {
                guard let c = connections[f] else {
                    why[f] = "no connection"
                    continue
                }
                let row = (try? await c.query("SHOW SLAVE STATUS"))?.first
                let status = row.flatMap { try? ReplicaStatus.parse($0) }
                if let status, status.source == plan.candidate || status.sourceHost + ":\(status.sourcePort)" == plan.candidate,
                    status.threadsRunning
                {
                    why[f] = nil
                    continue
                }
                why[f] = status.map { "\($0.source), IO \($0.ioRunning), SQL \($0.sqlRunning)" } ?? "replicates from nobody"
                still.append(f)
            }
            pending = still
            if pending.isEmpty || ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return followers.compactMap { f in why[f].map { "\(f) (\($0))" } }
    }
}

/// A string literal for a statement: quoted, its quotes and backslashes escaped.
func sqlString(_ s: String) -> String {
    var out = "'"
    for ch in s {
        switch ch {
        case "'": out += "''"
        case "\\": out += "\\\\"
        case "\0": out += "\\0"
        default: out.append(ch)
        }
    }
    return out + "'"
}
