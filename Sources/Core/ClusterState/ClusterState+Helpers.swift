import ClusterProtocol
import DequeModule

extension ClusterState {
    // MARK: Helpers

    /// A full snapshot replaces the nodes, followers, assignment, migrations
    /// and tenants. A `partial` one (it covers only some of the sources seen)
    /// replaces what it lists and keeps the rest: nodes, followers and
    /// migrations it does not list, a higher term, a newer assignment
    /// (`reducePartialSnapshot` then applies the other sources' newer events
    /// again).
    mutating func applySnapshot(_ s: ClusterSnapshot, envelope e: Envelope, partial: Bool = false) {
        counters.snapshots += 1
        hasSnapshot = true
        clusterName = s.cluster
        if !partial || s.term >= term {
            term = s.term
            leader = s.leader
        }
        var fresh: [String: NodeRecord] = partial ? nodes : [:]
        for n in s.nodes.prefix(limits.nodes) {
            var r = NodeRecord(info: n, lastHeard: nodes[n.id]?.lastHeard)
            r.consecutiveFailures = nodes[n.id]?.consecutiveFailures ?? 0
            r.healthDetail = nodes[n.id]?.healthDetail
            // Heartbeats' news that a snapshot does not carry.
            r.assignmentVersion = nodes[n.id]?.assignmentVersion
            fresh[n.id] = r
        }
        nodes = fresh
        // Lag history is ours to keep for followers that still exist.
        if !partial { followers = followers.filter { fresh[$0.key] != nil } }
        for n in s.nodes where n.role != .primary {
            if let lag = n.lagMillis { followers[n.id, default: FollowerRecord(follower: n.id)].lagMillis = lag }
            if let eng = n.engine, let state = eng.lagState {
                var f = followers[n.id] ?? FollowerRecord(follower: n.id)
                f.unit = .counted
                f.lagState = state
                f.lagBytes = state == .measured ? eng.lagBytes : nil
                followers[n.id] = f
            }
        }
        if !partial || s.engine != nil { engine = s.engine }
        if let h = s.history { engineHistory = Array(h.entries.suffix(ClusterState.engineHistoryCap)) }
        if partial, let held = assignment, s.assignment.map({ $0.version < held.version }) ?? true {
            // Ours is newer (or the snapshot has none): kept.
        } else if let a = s.assignment {
            assignment = AssignmentState(
                version: a.version, strategy: a.strategy, reason: assignment?.reason, publishedAt: e.timestamp,
                partitions: a.partitions, previous: nil)
        } else {
            assignment = nil
        }
        var kept = partial ? migrations : BoundedDictionary<String, MigrationRecord>(capacity: limits.migrations)
        for m in s.migrations {
            var r = migrations[m.migrationID] ?? MigrationRecord(info: m)
            r.info = m
            if let p = m.phase { r.enter(p, at: e.timestamp) }
            kept[m.migrationID] = r
        }
        migrations = kept
        let listed = Dictionary(s.tenants.map { ($0.tenant, $0.region) }, uniquingKeysWith: { _, last in last })
        tenants = partial ? tenants.merging(listed) { _, snapshot in snapshot } : listed
        // The snapshot's seqs hold the sources it covers; others keep theirs
        // (a per-node endpoint's snapshot covers that node only).
        seqTracker.cover(s.seqs, source: e.source, seq: e.seq)
        let primary = s.nodes.filter { $0.role == .primary }.map(\.id).sorted(by: naturalLess)
        appendLog(e, .info, .snapshot(cluster: s.cluster, nodes: s.nodes.count, term: s.term, primaries: primary))
    }

    /// A partial snapshot (see `applySnapshot`), then the events of the
    /// sources it does not cover that are as new as it or newer, applied
    /// again on top: it was made before they happened (or as they did), so
    /// what they said stands. Their log lines and counts were written when
    /// they first came and are not written twice.
    mutating func reducePartialSnapshot(_ e: Envelope, covering covered: Set<String>) -> (ApplyOutcome.Disposition, ResyncReason?) {
        guard case .snapshot(let s) = e.event else { return reduce(e) }
        applySnapshot(s, envelope: e, partial: true)
        let again = recent.filter { !covered.contains($0.source) && $0.timestamp >= e.timestamp }
        guard !again.isEmpty else { return (.applied, nil) }
        let keptLog = log
        let keptAppended = logAppended
        let keptCounters = counters
        for r in again { _ = reduce(r) }
        log = keptLog
        logAppended = keptAppended
        counters = keptCounters
        return (.applied, nil)
    }

    mutating func promotionFromCommand(_ d: CommandResult) -> PromotionRecord? {
        guard d.op == "promote", let id = d.requestID else { return nil }
        return PromotionRecord(requestID: id, candidate: "?")
    }

    mutating func raiseTerm(_ t: Int64) {
        if t > term { term = t }
    }

    /// Makes sure a node mentioned by an event exists (as `unknown` until described).
    mutating func ensureNode(_ id: String, at t: Timestamp) {
        guard nodes[id] == nil else { return }
        guard nodes.count < limits.nodes else { return }
        nodes[id] = NodeRecord(info: NodeInfo(id: id, role: .unknown, health: .healthy, term: term, managerState: .other("unknown")))
        addedNode = id
    }

    mutating func upsert(_ record: NodeRecord) {
        guard nodes[record.id] != nil || nodes.count < limits.nodes else { return }
        if nodes[record.id] == nil { addedNode = record.id }
        nodes[record.id] = record
    }

    /// After an event that added one node (`id`, and perhaps its follower
    /// record): the cached orders take it in place, by binary search, rather
    /// than being sorted again; a stream naming thousands of new nodes would
    /// otherwise sort them all once per event. False (nothing changed) when
    /// the node is a primary or has left: those move more than one order.
    mutating func insertIntoOrders(_ id: String) -> Bool {
        guard let record = nodes[id], record.isPresent, record.info.role != .primary else { return false }
        let at = nodeOrder.firstIndex(sortedWhere: { other in nodes[other].map { ClusterState.orderLess(record, $0) } ?? true })
        nodeOrder.insert(id, at: at)
        presentIDs.insert(id)
        let shard = record.info.engine?.shard ?? ""
        if shardPrimaries[shard] == nil { shardPrimaries[shard] = [] }
        if followers[id] != nil, !followerOrder.contains(id) {
            followerOrder.insert(id, at: followerOrder.firstIndex(sortedWhere: { naturalLess(id, $0) }))
        }
        return true
    }

    mutating func pruneDeparted() {
        let departed = nodes.values.filter { !$0.isPresent }
        guard departed.count > limits.departedNodes else { return }
        let oldest = departed.sorted { ($0.departure?.at ?? Timestamp(millis: 0)) < ($1.departure?.at ?? Timestamp(millis: 0)) }
        for r in oldest.prefix(departed.count - limits.departedNodes) {
            nodes[r.id] = nil
            followers[r.id] = nil
        }
    }

    mutating func putMigration(_ m: MigrationRecord) {
        if migrations[m.id] == nil, migrations.count >= limits.migrations {
            // Drop the oldest finished migration rather than a running one.
            if let victim = migrations.keys.first(where: { migrations[$0]?.info.state.isFinished ?? false }) {
                migrations[victim] = nil
            }
        }
        migrations[m.id] = m
    }

    mutating func appendLog(_ e: Envelope, _ severity: LogSeverity, _ facts: LogFacts, kind: LogKind? = nil) {
        log.append(
            LogEntry(
                at: e.timestamp, source: e.source, kind: kind ?? LogKind(e.event), severity: severity, facts: facts,
                correlationID: e.correlationID))
        logAppended += 1
        if log.count > limits.logCapacity { log.removeFirst() }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsAfter`, in an array
    /// where the elements that do all come after those that do not (binary
    /// search; `count` when none does).
    func firstIndex(sortedWhere belongsAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsAfter(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
