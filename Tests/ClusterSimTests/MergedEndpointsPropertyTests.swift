import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

/// What the panes show of a state: compared whole, so two ways of receiving
/// the same cluster can be held to the same screen.
struct ShownState: Equatable, CustomStringConvertible {
    var term: Int64
    var leader: String?
    var nodes: [String: NodeRecord]
    var lag: [String: Int64]
    var followerStatus: [String: FollowerConnection]
    var assignmentVersion: Int64?
    var partitions: [PartitionAssignment]
    var migrations: [String: MigrationInfo]
    var tenants: [String: String]

    init(_ s: ClusterState) {
        term = s.term
        leader = s.leader
        nodes = s.nodes
        lag = s.followers.compactMapValues(\.lagMillis)
        followerStatus = s.followers.mapValues(\.status)
        assignmentVersion = s.assignment?.version
        partitions = s.assignment?.partitions ?? []
        migrations = Dictionary(uniqueKeysWithValues: s.migrations.keys.compactMap { id in s.migrations[id].map { (id, $0.info) } })
        tenants = s.tenants
    }

    /// The first fields that differ from `other`, for a failure message.
    func difference(from other: ShownState) -> String {
        var out: [String] = []
        if term != other.term || leader != other.leader { out.append("term/leader \(term) \(leader ?? "-") vs \(other.term) \(other.leader ?? "-")") }
        for id in Set(nodes.keys).union(other.nodes.keys).sorted() where nodes[id] != other.nodes[id] {
            guard let a = nodes[id], let b = other.nodes[id] else {
                out.append("node \(id): present in one state only")
                continue
            }
            out.append("node \(id): " + fieldDifferences(a, b) + fieldDifferences(a.info, b.info))
        }
        if lag != other.lag { out.append("lag \(lag) vs \(other.lag)") }
        if followerStatus != other.followerStatus { out.append("follower status differs") }
        if assignmentVersion != other.assignmentVersion || partitions != other.partitions {
            out.append("assignment v\(assignmentVersion ?? -1) vs v\(other.assignmentVersion ?? -1)")
        }
        for id in Set(migrations.keys).union(other.migrations.keys).sorted() where migrations[id] != other.migrations[id] {
            guard let a = migrations[id], let b = other.migrations[id] else {
                out.append("migration \(id): present in one state only")
                continue
            }
            out.append("migration \(id): " + fieldDifferences(a, b))
        }
        if tenants != other.tenants { out.append("tenants differ") }
        return out.prefix(4).joined(separator: "\n")
    }

    /// `field a≠b` for each stored field that differs.
    func fieldDifferences<T>(_ a: T, _ b: T) -> String {
        zip(Mirror(reflecting: a).children, Mirror(reflecting: b).children).compactMap { x, y in
            let (u, v) = ("\(x.value)", "\(y.value)")
            return u == v || x.label == "info" ? nil : "\(x.label ?? "?") \(u)≠\(v)"
        }.joined(separator: ", ") + " "
    }

    var description: String { "term \(term), \(nodes.count) nodes, assignment v\(assignmentVersion ?? -1)" }
}

/// One simulated incident, as the main endpoint streams it (`merged`: a
/// snapshot, then every event in order), with per-node snapshots taken along
/// the way as a per-node endpoint would send them when it (re)connects: each
/// covers its node alone and is made at `position` in `merged`.
struct Incident {
    var merged: [Envelope] = []
    var perNode: [(position: Int, node: String, snapshot: Envelope)] = []

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var config = fastConfig()
        config.seed = seed
        let start = t0
        var sim = SimCluster(config: config, start: start)
        merged.append(sim.snapshot())
        let ids = config.nodeIDs
        // Trouble at random times: a crash and its restart, a degraded node,
        // a lag spike, a lost WAL stream, a tenant moved.
        let victim = ids[Int(random.next() % UInt64(ids.count))]
        let plan: [(Int64, Fault)] = [
            (4_000 + Int64(random.next() % 6_000), .lagSpike(node: ids[1], millis: 40_000, durationMillis: 5_000)),
            (8_000 + Int64(random.next() % 8_000), .crash(node: victim)),
            (22_000 + Int64(random.next() % 6_000), .restart(node: victim)),
            (12_000 + Int64(random.next() % 10_000), .degrade(node: ids[2], durationMillis: 6_000)),
            (15_000 + Int64(random.next() % 10_000), .disconnect(node: ids[3], durationMillis: 4_000)),
        ]
        for (at, fault) in plan { sim.inject(fault, at: start.adding(millis: at)) }
        let migrateAt = 6_000 + Int64(random.next() % 10_000)
        var migrated = false
        var t = start
        while t.millis(since: start) < 45_000 {
            t = t.adding(millis: 100)
            merged += sim.advance(to: t)
            if !migrated, t.millis(since: start) >= migrateAt {
                migrated = true
                let tenant = config.tenantNames[0]
                let out = sim.handle(.migrate(requestID: "p-1", tenant: tenant, target: "ap-south", dryRun: false), scope: .operate)
                merged += out.events
            }
            // Now and then a node's endpoint (re)connects: its snapshot.
            if random.next() % 15 == 0 {
                let alive = ids.filter { sim.isAlive($0) }
                if let node = alive.isEmpty ? nil : alive[Int(random.next() % UInt64(alive.count))] {
                    perNode.append((merged.count, node, sim.snapshot(covering: [node], source: node)))
                }
            }
        }
    }

    /// `merged` with each per-node snapshot delivered late: after any number
    /// of other sources' events (up to `maxDelay`), but never after an event
    /// of its own node (its endpoint sends the snapshot before those).
    func withLateSnapshots(_ random: inout SplitMix64, maxDelay: Int) -> [Envelope] {
        var inserts: [(at: Int, order: Int, snapshot: Envelope)] = []
        for (k, p) in perNode.enumerated() {
            var limit = p.position
            while limit < merged.count, limit - p.position < maxDelay, merged[limit].source != p.node { limit += 1 }
            let at = p.position + Int(random.next() % UInt64(limit - p.position + 1))
            inserts.append((at, k, p.snapshot))
        }
        inserts.sort { ($0.at, $0.order) < ($1.at, $1.order) }
        var out: [Envelope] = []
        var next = 0
        for (i, e) in merged.enumerated() {
            while next < inserts.count, inserts[next].at == i {
                out.append(inserts[next].snapshot)
                next += 1
            }
            out.append(e)
        }
        out += inserts[next...].map(\.snapshot)
        return out
    }
}

func applied(_ stream: [Envelope]) -> (state: ClusterState, resyncs: [String]) {
    var s = ClusterState()
    var resyncs: [String] = []
    for e in stream {
        if let r = s.apply(e).resync { resyncs.append("\(r)") }
    }
    return (s, resyncs)
}

/// Merged endpoints never regress (issue 15): a per-node endpoint's snapshot
/// is authoritative only for the sources in its `seqs`; what other sources
/// said after it was made stays (docs/PROTOCOL.md, "Snapshots and seqs").
/// The 80 cases yield between rounds: run in parallel without yielding they
/// held both of CI's cooperative threads for seconds, and the live tests'
/// network timeouts (a NATS WebSocket upgrade, a refused connect) fired.
@Suite struct MergedEndpointsPropertyTests {
    /// The property: however late each per-node snapshot arrives among the
    /// other endpoints' events, the state ends as the merged stream's alone.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func lateSnapshotsFromPerNodeEndpointsEndInTheMergedState(seed: UInt64) async {
        let incident = Incident(seed: seed)
        #expect(incident.perNode.count >= 5, "the generator took \(incident.perNode.count) per-node snapshots")
        let expected = applied(incident.merged)
        #expect(expected.resyncs.isEmpty)
        let want = ShownState(expected.state)
        var random = SplitMix64(seed: seed &* 7_919)
        for maxDelay in [0, 5, 50, 400] {
            await Task.yield()
            let got = applied(incident.withLateSnapshots(&random, maxDelay: maxDelay))
            #expect(got.resyncs.isEmpty, "seed \(seed), delay ≤ \(maxDelay): \(got.resyncs.prefix(3))")
            let shown = ShownState(got.state)
            #expect(shown == want, "seed \(seed), delay ≤ \(maxDelay):\n\(shown.difference(from: want))")
        }
    }

    /// Per-node endpoints: each sends its own snapshot (covering its node),
    /// then its node's events. However they interleave (each endpoint's own
    /// order kept, any endpoint up to `skew` events behind the others), the
    /// state ends as the merged stream's.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func anyInterleavingOfPerNodeStreamsEndsInTheMergedState(seed: UInt64) async {
        let incident = Incident(seed: seed)
        let want = ShownState(applied(incident.merged).state)
        let start = incident.merged[0]
        guard case .snapshot(let full) = start.event else {
            Issue.record("the merged stream does not open with a snapshot")
            return
        }
        let events = incident.merged.dropFirst()
        let sources = Set(events.map(\.source)).sorted()
        var random = SplitMix64(seed: seed &* 104_729)
        for skew in [1, 10, 100, 1_000] {
            await Task.yield()
            // Each endpoint's snapshot first (as it was at the start), then
            // every event keyed by its place plus its endpoint's delay, never
            // before the endpoint's previous event.
            var keyed: [(key: Int, order: Int, envelope: Envelope)] = []
            for (k, node) in sources.enumerated() {
                var own = full
                own.seqs = full.seqs.filter { $0.key == node }
                let snapshot = Envelope(id: "start-\(node)", source: node, seq: 0, timestamp: start.timestamp, event: .snapshot(own))
                keyed.append((Int(random.next() % 50), k, snapshot))
            }
            var last: [String: Int] = [:]
            for (i, e) in events.enumerated() {
                let key = max(last[e.source] ?? 0, 50 + i + Int(random.next() % UInt64(skew + 1)))
                last[e.source] = key
                keyed.append((key, sources.count + i, e))
            }
            keyed.sort { ($0.key, $0.order) < ($1.key, $1.order) }
            let got = applied(keyed.map(\.envelope))
            let shown = ShownState(got.state)
            #expect(shown == want, "seed \(seed), skew ≤ \(skew):\n\(shown.difference(from: want))")
        }
    }

    /// What the rule keeps: a node the snapshot does not list (it left, as
    /// another source said) stays listed; a higher term and a newer
    /// assignment stay; the snapshot's own node is replaced.
    @Test func aPartialSnapshotKeepsWhatItDoesNotCover() {
        var sim = SimCluster(config: fastConfig(), start: t0)
        var s = ClusterState()
        s.apply(sim.snapshot())
        for e in sim.advance(to: t0.adding(millis: 10_000)) { s.apply(e) }
        let early = sim.snapshot(covering: ["node-3"], source: "node-3")
        for e in sim.inject(.crash(node: "node-2")) { s.apply(e) }
        for e in sim.advance(to: t0.adding(millis: 20_000)) where e.source != "node-3" { s.apply(e) }
        let before = ShownState(s)
        #expect(s.nodes["node-2"]?.departure != nil)
        s.apply(early)
        #expect(s.nodes["node-2"]?.departure != nil, "the crash another source reported was rolled back")
        #expect(s.term == before.term)
        #expect(s.assignment?.version == before.assignmentVersion)
        #expect(s.nodes["node-3"] != nil)
    }
}
