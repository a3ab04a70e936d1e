import ClusterProtocol
import EventSources

/// Maps a replication topology onto the dashboard's words: each server a
/// node (by the `host:port` replication knows it by), the root of the tree
/// (writable, replicating from nobody) the primary, every server that
/// replicates a replica (an intermediate primary when others replicate from
/// it), and its lag in transactions behind its own source (the GTID gap)
/// with `Seconds_Behind_Master` beside it (NULL is unknown, never 0).
/// Remembers what a poll cannot say again: a server's role while it does
/// not answer, when a thread's error began, the term.
public struct MySQLMapper: Sendable {
    public let name: String
    /// Polls in a row a server must miss before it counts as down.
    public var unreachableAfter = 2
    private var misses: [String: Int] = [:]
    private var lastRole: [String: NodeRole] = [:]
    private var lastUpstream: [String: String] = [:]
    private var lastWord: [String: String] = [:]
    /// When each server's current problem began, with the problem's words.
    private var since: [String: (what: String, at: Timestamp)] = [:]
    /// 1 at the first poll, one more at each change of primary seen since
    /// (replication itself keeps no term).
    private var term: Int64 = 1
    private var lastPrimaries: [String] = []
    /// Addresses found to reach a server known under another address (the
    /// one replication uses), remembered for when neither answers.
    private var aliases: [String: String] = [:]

    public init(name: String) { self.name = name }

    public mutating func cluster(_ o: MySQLObservation) -> PolledCluster {
        let statuses = o.statuses
        let kept = distinct(o)
        // Who replicates from whom, among the servers kept.
        var upstream: [String: String] = [:]
        for a in kept {
            if let s = statuses[a], let r = s.replication {
                upstream[a] = r.source
            } else if statuses[a] == nil, let u = lastUpstream[a] {
                upstream[a] = u
            }
        }
        var children: [String: [String]] = [:]
        for (a, u) in upstream { children[u, default: []].append(a) }

        var nodes: [NodeInfo] = []
        var divergence: [String] = []
        for address in kept {
            let answer = o.servers.first { $0.address == address }?.answer ?? .failed("not polled")
            let node: NodeInfo
            switch answer {
            case .status(let s):
                misses[address] = 0
                node = answering(address, s, source: upstream[address].flatMap { statuses[$0] }, hasReplicas: children[address] != nil, at: o.at)
            case .failed(let why):
                misses[address, default: 0] += 1
                node = silent(address, why, upstream: upstream[address], isSource: children[address] != nil, at: o.at)
            }
            nodes.append(node)
        }
        // A primary that does not answer while another server answers as
        // the primary (after a failover) is a former primary, not a second
        // one: two primaries would be split brain, and it takes no writes.
        if nodes.contains(where: { $0.role == .primary && statuses[$0.id] != nil }) {
            for i in nodes.indices where nodes[i].role == .primary && statuses[nodes[i].id] == nil {
                nodes[i].role = .unknown
                nodes[i].engine?.role = "former_primary"
            }
        }
        let known = Set(kept)
        for key in Set(misses.keys).subtracting(known) {
            misses[key] = nil
            lastRole[key] = nil
            lastUpstream[key] = nil
            lastWord[key] = nil
            since[key] = nil
        }
        let writableRoots = nodes.filter { $0.role == .primary && statuses[$0.id] != nil }.map(\.id)
        if writableRoots.count > 1 {
            divergence.append("\(writableRoots.joined(separator: " and ")) are all writable and replicate from nobody: two primaries")
        }
        for n in nodes where n.role == .replica {
            guard let s = statuses[n.id], let r = s.replication, s.writable else { continue }
            divergence.append("\(n.id) replicates from \(r.source) and is writable (read_only=OFF): a write there is an errant transaction")
        }
        let primaries = nodes.filter { $0.role == .primary }.map(\.id)
        if !primaries.isEmpty {
            if !lastPrimaries.isEmpty && primaries != lastPrimaries { term += 1 }
            lastPrimaries = primaries
        }
        for i in nodes.indices { nodes[i].term = term }
        let version = nodes.first { $0.role == .primary }.flatMap { statuses[$0.id]?.version } ?? statuses.values.first?.version
        let info = EngineClusterInfo(
            name: MySQLRules.name.rawValue, version: version, lagUnit: "transactions", feed: "polling", accepts: ["promote"],
            provides: ["roles", "lag"], divergence: divergence)
        return PolledCluster(name: name, term: term, nodes: nodes, engine: info, causeHint: o.causeHint)
    }

    /// The addresses polled, one per server: two addresses that answer
    /// with one server id are one server, kept under the address
    /// replication uses for it (a replica's source, a connected replica),
    /// and remembered as one while it does not answer.
    mutating func distinct(_ o: MySQLObservation) -> [String] {
        var named = Set<String>()
        for s in o.servers {
            guard let st = s.answer.status else { continue }
            if let r = st.replication { named.insert(r.source) }
            named.formUnion(st.replicaHosts)
        }
        var byID: [UInt32: String] = [:]
        var drop = Set<String>()
        for s in o.servers {
            guard let id = s.answer.status?.serverID else { continue }
            if let other = byID[id] {
                let keepNew = named.contains(s.address) && !named.contains(other)
                drop.insert(keepNew ? other : s.address)
                aliases[keepNew ? other : s.address] = keepNew ? s.address : other
                if keepNew { byID[id] = s.address }
            } else {
                byID[id] = s.address
            }
        }
        let polled = Set(o.servers.map(\.address))
        aliases = aliases.filter { polled.contains($0.key) && polled.contains($0.value) }
        for (alias, canonical) in aliases where o.servers.first(where: { $0.address == alias })?.answer.status == nil {
            if polled.contains(canonical) { drop.insert(alias) }
        }
        return o.servers.map(\.address).filter { !drop.contains($0) }
    }

    mutating func answering(_ address: String, _ s: MySQLServerStatus, source: MySQLServerStatus?, hasReplicas: Bool, at now: Timestamp)
        -> NodeInfo
    {
        // Each problem's words, and what identifies it (so that its "since"
        // holds while the IO thread's state words or the error text move).
        var problems: [(key: String, text: String)] = []
        var unapplied: UInt64 = 0
        let errant = Self.errant(s, source: source)
        let role: NodeRole
        let word: String
        var lagCount: Int64?
        var lagState: LagState?
        var timeBehind: LagState?
        var timeMillis: Int64?
        if let r = s.replication {
            role = .replica
            word = hasReplicas ? "intermediate" : "replica"
            if r.ioRunning != "Yes" {
                // What the IO thread is doing (Slave_IO_State), beside its last error.
                let doing = r.ioState.isEmpty ? "" : " (\(r.ioState))"
                problems.append(("IO \(r.ioRunning) \(r.lastIOErrno)", Self.thread("IO", r.ioRunning + doing, r.lastIOErrno, r.lastIOError)))
            }
            if r.sqlRunning != "Yes" {
                problems.append(("SQL \(r.sqlRunning) \(r.lastSQLErrno)", Self.thread("SQL", r.sqlRunning, r.lastSQLErrno, r.lastSQLError)))
            }
            if s.writable { problems.append(("writable", "writable replica (read_only=OFF)")) }
            if let errant { problems.append(("errant \(errant)", "errant transaction \(errant)")) }
            if let mine = s.gtidCurrent, let theirs = source?.gtidBinlog {
                lagCount = Int64(clamping: mine.behind(theirs))
                lagState = .measured
            } else if let mine = s.gtidExecuted, let theirs = source?.gtidExecuted {
                // MySQL 8: what its source executed that it has not, one by one.
                lagCount = Int64(clamping: mine.behind(theirs))
                lagState = .measured
            } else {
                lagState = .unknown
            }
            if let received = r.gtidIOPos, let mine = s.gtidCurrent {
                // Received, not yet applied: the IO thread's lead over the SQL
                // thread (with the position: a backlog under load is no fault).
                unapplied = mine.behind(received)
            }
            timeBehind = r.secondsBehind == nil ? .unknown : .measured
            timeMillis = r.secondsBehind.map { $0.multipliedReportingOverflow(by: 1000).overflow ? Int64.max : $0 * 1000 }
        } else if s.writable {
            role = .primary
            word = "primary"
        } else {
            role = .unknown
            word = "read_only_standalone"
            problems.append(("standalone", "read-only, replicates from nobody"))
        }
        lastRole[address] = role
        lastWord[address] = word
        lastUpstream[address] = s.replication?.source
        let state =
            problems.isEmpty
            ? "running" : stamped(address, key: problems.map(\.key).joined(separator: ";"), problems.map(\.text).joined(separator: "; "), at: now)
        if problems.isEmpty { since[address] = nil }
        let health: NodeHealth = problems.isEmpty ? .healthy : .degraded
        // What rarely changes (a change is a line in the failover log).
        var tags: [JSONField] = [
            JSONField("server_id", .int(Int64(s.serverID))), JSONField("version", .string(s.version)),
            JSONField("read_only", .bool(s.readOnly)), JSONField("log_bin", .bool(s.logBin)),
            JSONField("log_slave_updates", .bool(s.logReplicaUpdates)),
        ]
        if let r = s.replication {
            tags.append(JSONField("io_thread", .string(r.ioRunning)))
            tags.append(JSONField("sql_thread", .string(r.sqlRunning)))
        }
        if let errant { tags.append(JSONField("errant", .string(errant))) }
        if s.semiSyncSource == true || s.semiSyncReplica == true {
            tags.append(JSONField("semi_sync", .string(s.semiSyncSource == true ? "source" : "replica")))
        }
        var engine = EngineNodeInfo(role: word, state: state, lagBytes: lagCount, lagState: lagState, tags: tags)
        engine.upstream = s.replication?.source
        // Its executed position first (the preview reads that word); MariaDB's
        // binlog and slave positions where they differ from it (a former
        // primary, an errant write); what it received and has not applied yet.
        var position = [s.gtidCurrent?.description ?? s.gtidExecuted?.description].compactMap { $0 }
        if let binlog = s.gtidBinlog, let current = s.gtidCurrent, binlog != current { position.append("binlog \(binlog)") }
        if s.replication != nil, let slave = s.gtidSlave, let current = s.gtidCurrent, slave != current { position.append("slave \(slave)") }
        if unapplied > 0 { position.append("+\(unapplied) received") }
        engine.position = position.isEmpty ? nil : position.joined(separator: " ")
        engine.timeBehindMillis = timeMillis
        engine.timeBehind = timeBehind
        return NodeInfo(id: address, address: address, role: role, health: health, term: term, managerState: .stable, engine: engine)
    }

    mutating func silent(_ address: String, _ why: String, upstream: String?, isSource: Bool, at now: Timestamp) -> NodeInfo {
        let missed = misses[address] ?? 1
        // Never seen answering: a primary when the replicas still point at it.
        let role = lastRole[address] ?? (isSource ? .primary : .unknown)
        let health: NodeHealth = missed >= unreachableAfter ? .unhealthy : .suspect
        var engine = EngineNodeInfo(
            role: lastWord[address] ?? (isSource ? "primary" : nil), state: stamped(address, key: "unreachable", "unreachable: \(why)", at: now),
            lagState: role == .replica ? .unknown : nil)
        engine.upstream = upstream
        if role == .replica { engine.timeBehind = .unknown }
        return NodeInfo(id: address, address: address, role: role, health: health, term: term, managerState: .stable, engine: engine)
    }

    /// The problem's words with when it began: kept while `key` (what the
    /// problem is, not its changing words) stays the same.
    mutating func stamped(_ address: String, key: String, _ what: String, at now: Timestamp) -> String {
        if let s = since[address], s.what == key { return "\(what) (since \(s.at.clockTime))" }
        since[address] = (key, now)
        return "\(what) (since \(now.clockTime))"
    }

    static func thread(_ name: String, _ running: String, _ errno: Int, _ error: String) -> String {
        let text = error.count > 160 ? String(error.prefix(160)) + "…" : error
        return errno == 0 ? "\(name) \(running)" : "\(name) \(running): \(errno) \(text)"
    }

    /// Transactions this replica wrote itself that its source does not
    /// have, as GTIDs. MariaDB: its own server id in its binlog, where the
    /// source's last GTID in that domain is another one, at or before it.
    /// MySQL 8: GTIDs of its own `server_uuid` missing from its source's
    /// `gtid_executed`. Nil when the source is not known this poll (nothing
    /// can be said).
    public static func errant(_ s: MySQLServerStatus, source: MySQLServerStatus?) -> String? {
        guard s.replication != nil else { return nil }
        if let mine = s.gtidExecuted, let theirs = source?.gtidExecuted, let uuid = s.serverUUID {
            let extra = mine.only(source: uuid).subtracting(theirs)
            return extra.isEmpty ? nil : extra.description
        }
        guard let binlog = s.gtidBinlog, let theirs = source?.gtidBinlog else { return nil }
        for domain in binlog.domains.sorted() {
            guard let mine = binlog[domain], mine.server == s.serverID else { continue }
            let other = theirs[domain]
            if other != mine && (other?.seq ?? 0) <= mine.seq { return mine.description }
        }
        return nil
    }
}
