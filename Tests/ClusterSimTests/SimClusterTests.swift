import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

func fastConfig(_ edit: (inout SimConfig) -> Void = { _ in }) -> SimConfig {
    var c = SimConfig()
    c.coldStartWindowMillis = 2_000
    c.plannedScaleWindowMillis = 1_000
    c.inhibitMillis = 10_000
    edit(&c)
    return c
}

/// A simulator plus a dashboard-side state fed with everything it emits.
struct Harness {
    var sim: SimCluster
    var state = ClusterState()
    var events: [Envelope] = []

    /// Like a client that subscribes at start: a snapshot first, then the stream.
    init(_ config: SimConfig = fastConfig()) {
        sim = SimCluster(config: config, start: t0)
        state.apply(sim.snapshot())
    }

    mutating func feed(_ es: [Envelope]) {
        for e in es {
            events.append(e)
            let out = state.apply(e)
            #expect(out.resync == nil, "unexpected resync \(String(describing: out.resync)) at \(e.type)")
            #expect(state.primaries.count <= 1, "two primaries after \(e.type): \(state.primaries)")
        }
    }

    mutating func run(seconds: Double) {
        feed(sim.advance(to: sim.now.adding(millis: Int64(seconds * 1000))))
    }

    mutating func inject(_ f: Fault) { feed(sim.inject(f)) }

    mutating func command(_ op: ClientOp, scope: TokenScope = .operate) -> CommandResult? {
        let out = sim.handle(op, scope: scope, requestedBy: "tester")
        feed([out.result] + out.events)
        if case .commandResult(let r) = out.result.event { return r }
        return nil
    }

    var types: [String] { events.map(\.type) }
}

@Suite struct StartupTests {
    @Test func coldStartWalksEveryNodeAndPublishesTheFirstAssignment() {
        var h = Harness()
        h.run(seconds: 1)
        #expect(h.state.primaries == ["node-1"])
        #expect(h.state.assignment == nil)
        #expect(h.state.nodes["node-1"]?.info.managerState == .waitingAssignment)
        #expect(h.state.rebalance?.reason == .coldStart)
        h.run(seconds: 3)
        #expect(h.state.assignment?.version == 1)
        #expect(h.state.assignment?.reason == .coldStart)
        #expect(h.state.assignment?.partitions.count == 256)
        #expect(h.state.orphanedPartitions == 0)
        #expect(h.state.nodes.values.allSatisfy { $0.info.managerState == .stable })
        // Every node walked the whole way, in order.
        let walk = h.events.compactMap { e -> String? in
            if case .stateChanged(let d) = e.event, d.node == "node-3" { return d.to.wire }
            return nil
        }
        #expect(walk == ["claiming_id", "election", "waiting_assignment", "stable"])
        #expect(h.state.term == 1)
        #expect(h.state.quorum.present)
    }

    @Test func seqsAreContiguousPerSourceOverALongRun() {
        var h = Harness(fastConfig { $0.demoFaults = true; $0.rate = 40 })
        h.run(seconds: 600)
        var last: [String: Int64] = [:]
        for e in h.events where e.seq > 0 {
            #expect(e.seq == (last[e.source] ?? 0) + 1, "\(e.source) jumped to \(e.seq)")
            last[e.source] = e.seq
        }
        #expect(h.events.count > 20_000)
        #expect(Set(h.events.map(\.id)).count == h.events.count)
        // The demo caused failovers and every kind of trouble on the way.
        let types = Set(h.types)
        for t in ["node.left", "failover.demoted", "election.leader_elected", "replication.follower_status",
            "failover.state_change_suppressed", "node.joined", "assignment.moved", "node.health_changed"]
        {
            #expect(types.contains(t), "the demo never produced \(t)")
        }
    }

    @Test func sameSeedSameStream() {
        var a = SimCluster(config: fastConfig { $0.demoFaults = true; $0.seed = 9 }, start: t0)
        var b = SimCluster(config: fastConfig { $0.demoFaults = true; $0.seed = 9 }, start: t0)
        let ea = a.advance(to: t0.adding(millis: 300_000))
        let eb = b.advance(to: t0.adding(millis: 300_000))
        #expect(ea == eb)
        var c = SimCluster(config: fastConfig { $0.demoFaults = true; $0.seed = 10 }, start: t0)
        #expect(c.advance(to: t0.adding(millis: 300_000)) != ea)
    }

    @Test func streamAndSnapshotAgree() {
        var h = Harness(fastConfig { $0.demoFaults = true })
        h.run(seconds: 400)
        var fromSnapshot = ClusterState()
        fromSnapshot.apply(h.sim.snapshot())
        #expect(fromSnapshot.term == h.state.term)
        #expect(fromSnapshot.primaries == h.state.primaries)
        #expect(fromSnapshot.assignment?.version == h.state.assignment?.version)
        #expect(fromSnapshot.assignment?.partitions == h.state.assignment?.partitions)
        #expect(fromSnapshot.tenants == h.state.tenants)
        let live = h.state.nodes.values.filter(\.isPresent)
        #expect(Set(fromSnapshot.nodes.keys) == Set(live.map(\.id)))
        for n in live {
            #expect(fromSnapshot.nodes[n.id]?.info.role == n.info.role, "role of \(n.id)")
            #expect(fromSnapshot.nodes[n.id]?.info.health == n.info.health, "health of \(n.id)")
            #expect(fromSnapshot.nodes[n.id]?.info.managerState == n.info.managerState, "state of \(n.id)")
        }
        #expect(fromSnapshot.seqs == h.state.seqs)
    }
}

@Suite struct FaultTests {
    @Test func crashOfThePrimaryElectsANewOneAndRebalancesAtOnce() {
        var h = Harness()
        h.run(seconds: 5)
        let before = h.events.count
        h.inject(.crash(node: "node-1"))
        h.run(seconds: 1)
        let after = Array(h.events[before...])
        #expect(after.first?.type == "node.left")
        #expect(h.state.nodes["node-1"]?.isPresent == false)
        let newPrimary = h.state.primaries.first
        #expect(newPrimary != nil && newPrimary != "node-1")
        #expect(h.state.term == 2)
        let kinds = after.map(\.type).filter { $0 != "replication.lag" && $0 != "node.heartbeat" }
        #expect(
            kinds == [
                "node.left", "election.started", "election.leader_elected", "node.role_changed", "failover.inhibited",
                "node.state_changed", "assignment.published", "node.state_changed",
            ])
        #expect(h.state.assignment?.reason == .emergency)
        #expect(h.state.assignment?.workers["node-1"] == nil)
        #expect(h.state.orphanedPartitions == 0)
        let emergency = after.compactMap { e -> StateChanged? in
            if case .stateChanged(let d) = e.event, d.to == .emergency { return d }
            return nil
        }
        #expect(emergency.first?.reason == .emergency)
        #expect(emergency.first?.windowMillis == 0)
    }

    @Test func restartGetsPartitionsBackByDelta() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.crash(node: "node-4"))
        h.run(seconds: 1)
        let version = h.state.assignment?.version ?? 0
        h.inject(.restart(node: "node-4"))
        h.run(seconds: 3)
        #expect(h.state.nodes["node-4"]?.isPresent == true)
        #expect(h.state.nodes["node-4"]?.info.managerState == .stable)
        #expect(h.state.assignment?.version == version + 1)
        #expect((h.state.assignment?.workers["node-4"]?.partitions ?? 0) > 20)
        #expect(h.types.contains("assignment.moved"))
    }

    @Test func healthDegradationDemotesThePrimary() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.degrade(node: "node-1", durationMillis: 20_000))
        h.run(seconds: 4)
        #expect(h.state.nodes["node-1"]?.info.health == .unhealthy)
        #expect(h.state.log.contains { $0.text == "node-1 demoted: health checks failed (term 1)" })
        #expect(h.state.primaries.count == 1)
        #expect(h.state.primaries != ["node-1"])
        h.run(seconds: 20)
        #expect(h.state.nodes["node-1"]?.info.health == .healthy)
    }

    @Test func quorumLossDemotesThenRecovers() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.quorumLoss(durationMillis: 10_000))
        #expect(!h.state.quorum.present)
        #expect(h.state.hasNoPrimary)
        #expect(h.state.log.contains { $0.text == "node-1 demoted: quorum lost (term 1)" })
        h.run(seconds: 5)
        #expect(h.state.hasNoPrimary, "no election without a quorum")
        h.run(seconds: 7)
        #expect(h.state.quorum.present)
        #expect(h.state.primaries.count == 1)
        #expect(h.state.term == 2)
    }

    @Test func followerDisconnectAndLagSpike() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.disconnect(node: "node-3", durationMillis: 5_000))
        h.run(seconds: 2)
        #expect(h.state.followers["node-3"]?.isConnected == false)
        h.run(seconds: 4)
        #expect(h.state.followers["node-3"]?.isConnected == true)
        h.inject(.lagSpike(node: "node-2", millis: 40_000, durationMillis: 5_000))
        h.run(seconds: 4)
        #expect((h.state.followers["node-2"]?.lagMillis ?? 0) > 20_000)
        h.inject(.suppressedRepeat(node: nil))
        #expect(h.events.last?.type == "failover.state_change_suppressed")
    }
}

@Suite struct PromotionTests {
    @Test func successfulPromotionHasTheExactSequence() {
        var h = Harness()
        h.run(seconds: 5)
        let before = h.events.count
        let r = h.command(.promote(requestID: "r-1", node: "node-3"))
        #expect(r?.status == .accepted)
        h.run(seconds: 1)
        let flow = h.events[before...].filter { $0.correlationID == "r-1" }
        #expect(
            flow.map(\.type) == [
                "command.result", "failover.promotion_requested", "failover.promotion_validated", "failover.demoted",
                "node.role_changed", "failover.authority_transferred", "node.role_changed", "failover.inhibited",
            ])
        if case .promotionValidated(let v) = flow[2].event {
            #expect(v.checks.map(\.invariant) == Invariant.allCases)
            #expect(v.checks.allSatisfy { $0.ok })
        } else {
            Issue.record("no validation")
        }
        if case .demoted(let d) = flow[3].event { #expect(d.cause == .gracefulHandoff) }
        #expect(h.state.primaries == ["node-3"])
        #expect(h.state.term == 2)
        #expect(h.state.promotions["r-1"]?.phase == .completed)
        #expect(h.state.promotions["r-1"]?.explanation == "node-3 promoted: primary node-1 -> node-3 in term 2, 6/6 checks passed")
        // The inhibit window denies the next one.
        let again = h.command(.promote(requestID: "r-2", node: "node-2"))
        #expect(again?.reason == "failover_inhibited")
        h.run(seconds: 11)
        #expect(h.command(.promote(requestID: "r-3", node: "node-2"))?.status == .accepted)
    }

    @Test func everyDenialReasonIsReachable() {
        var h = Harness()
        h.run(seconds: 5)
        func reason(_ op: ClientOp, scope: TokenScope = .operate) -> String? {
            h.command(op, scope: scope)?.reason
        }
        var n = 0
        func promote(_ node: String) -> ClientOp {
            n += 1
            return .promote(requestID: "p-\(n)", node: node)
        }
        #expect(reason(promote("node-2"), scope: .read) == "read_only_token")
        #expect(reason(promote("node-9")) == "unknown_node")
        #expect(reason(promote("node-1")) == "already_primary")
        h.inject(.lagSpike(node: "node-2", millis: 30_000, durationMillis: 60_000))
        h.run(seconds: 3)
        #expect(reason(promote("node-2")) == "lag_too_high")
        h.inject(.degrade(node: "node-4", durationMillis: nil))
        h.run(seconds: 3)
        #expect(reason(promote("node-4")) == "node_unhealthy")
        #expect(h.events.last?.type == "failover.promotion_denied")
        #expect(reason(promote("node-3")) == nil)  // accepted
        #expect(reason(promote("node-5")) == "failover_inhibited")  // in flight
        h.run(seconds: 1)
        #expect(reason(promote("node-5")) == "failover_inhibited")  // inhibit window
        h.run(seconds: 11)
        h.inject(.quorumLoss(durationMillis: 30_000))
        #expect(reason(promote("node-5")) == "no_quorum")
        // not_a_replica: a candidate mid-election.
        var e = Harness()
        e.run(seconds: 5)
        e.inject(.crash(node: "node-1"))
        let candidate = e.events.compactMap { ev -> String? in
            if case .electionStarted(let d) = ev.event { return d.candidate }
            return nil
        }.last ?? "?"
        #expect(e.command(.promote(requestID: "c-1", node: candidate))?.reason == "not_a_replica")
        #expect(Set(h.events.compactMap { ev -> String? in
            if case .commandResult(let r) = ev.event { return r.reason }
            return nil
        }).isSuperset(of: ["read_only_token", "unknown_node", "already_primary", "lag_too_high", "node_unhealthy", "failover_inhibited", "no_quorum"]))
    }

    @Test func sameRequestIDTwiceDoesTheWorkOnce() {
        var h = Harness()
        h.run(seconds: 5)
        let first = h.command(.promote(requestID: "r-9", node: "node-2"))
        let count = h.events.count
        let second = h.command(.promote(requestID: "r-9", node: "node-2"))
        #expect(first == second)
        #expect(h.events.count == count + 1)  // only the repeated result
        h.run(seconds: 1)
        #expect(h.events.filter { $0.type == "failover.authority_transferred" }.count == 1)
    }
}

@Suite struct MigrationTests {
    @Test func migrationRunsAllPhasesToCompletion() {
        var h = Harness(fastConfig { $0.drainEntriesPerSecond = 20_000 })
        h.run(seconds: 5)
        #expect(h.state.tenants["acme"] == "us-east")
        #expect(h.command(.migrate(requestID: "m", tenant: "acme", target: "eu-west", dryRun: false))?.status == .accepted)
        h.run(seconds: 10)
        let m = h.state.migrations.values.first
        #expect(m?.info.state == .completed)
        #expect(m?.phases.map(\.phase) == MigrationPhase.allCases)
        #expect(m?.writePauseStartedAt != nil && m?.writePauseEndedAt != nil)
        #expect(h.state.tenants["acme"] == "eu-west")
        let progress = h.events.filter { $0.type == "migration.progress" }
        #expect(progress.count > 4)
        #expect(progress.allSatisfy { $0.correlationID == "m" })
    }

    @Test func dryRunCancelAndRejections() {
        var h = Harness()
        h.run(seconds: 5)
        func reason(_ op: ClientOp) -> String? { h.command(op)?.reason }
        #expect(reason(.migrate(requestID: "a", tenant: "nobody", target: "eu-west", dryRun: false)) == "unknown_tenant")
        #expect(reason(.migrate(requestID: "b", tenant: "acme", target: "mars", dryRun: false)) == "unknown_region")
        #expect(reason(.migrate(requestID: "c", tenant: "acme", target: "us-east", dryRun: false)) == "same_region")
        #expect(reason(.migrate(requestID: "d", tenant: "acme", target: "eu-west", dryRun: true)) == nil)
        h.run(seconds: 2)
        #expect(h.state.migrations.values.first?.info.state == .completed)
        #expect(h.state.tenants["acme"] == "us-east", "a dry run changes nothing")
        #expect(reason(.migrate(requestID: "e", tenant: "acme", target: "eu-west", dryRun: false)) == nil)
        #expect(reason(.migrate(requestID: "f", tenant: "acme", target: "ap-south", dryRun: false)) == "migration_in_progress")
        h.run(seconds: 2)
        let running = h.state.migrations.values.first { !$0.info.state.isFinished }?.id ?? "?"
        #expect(reason(.cancelMigration(requestID: "g", migrationID: "m-404")) == "unknown_migration")
        #expect(reason(.cancelMigration(requestID: "h", migrationID: running)) == nil)
        #expect(h.state.migrations[running]?.info.state == .cancelled)
        #expect(reason(.cancelMigration(requestID: "i", migrationID: running)) == "migration_finished")
        h.run(seconds: 5)
        #expect(h.state.tenants["acme"] == "us-east")
    }

    @Test func failsOnUnhealthyTargetAndOnTimeout() {
        var h = Harness(fastConfig { $0.migrationTimeoutMillis = 3_000; $0.drainEntriesPerSecond = 100 })
        h.run(seconds: 5)
        // eu-west is node-2 and node-5.
        h.inject(.degrade(node: "node-2", durationMillis: nil))
        h.inject(.degrade(node: "node-5", durationMillis: nil))
        h.run(seconds: 3)
        _ = h.command(.migrate(requestID: "x", tenant: "acme", target: "eu-west", dryRun: false))
        h.run(seconds: 2)
        #expect(h.state.migrations.values.first?.failureReason == "target_unhealthy")
        _ = h.command(.migrate(requestID: "y", tenant: "acme", target: "ap-south", dryRun: false))
        h.run(seconds: 6)
        let y = h.state.migrations.values.first { $0.info.target == "ap-south" }
        #expect(y?.info.state == .failed)
        #expect(y?.failureReason == "timeout")
    }
}

@Suite struct AssignmentStrategyTests {
    @Test func consistentHashingKeepsMostPartitionsInPlace() {
        let weights = [Double](repeating: 1, count: 1_000)
        let three = AssignmentCalculator.assign(strategy: .consistentHash, weights: weights, workers: ["a", "b", "c"])
        let four = AssignmentCalculator.assign(strategy: .consistentHash, weights: weights, workers: ["a", "b", "c", "d"])
        let stayed = zip(three, four).filter { $0.worker == $1.worker }.count
        #expect(stayed >= 650, "only \(stayed) of 1000 stayed")
        // And the load is reasonably even.
        let counts = Dictionary(grouping: four, by: { $0.worker ?? "" }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 > 150 && $0 < 350 }, "\(counts)")
    }

    @Test func roundRobinIsEvenAndWeightedBalancesWeight() {
        let rr = AssignmentCalculator.assign(strategy: .roundRobin, weights: .init(repeating: 1, count: 10), workers: ["b", "a", "c"])
        let counts = Dictionary(grouping: rr, by: { $0.worker ?? "" }).mapValues(\.count)
        #expect(counts == ["a": 4, "b": 3, "c": 3])
        let weights: [Double] = [4, 4, 2, 2, 1, 1, 1, 1]
        let w = AssignmentCalculator.assign(strategy: .weighted, weights: weights, workers: ["a", "b"])
        let load = Dictionary(grouping: w, by: { $0.worker ?? "" }).mapValues { $0.reduce(0) { $0 + $1.weight } }
        #expect(load == ["a": 8, "b": 8])
        #expect(AssignmentCalculator.assign(strategy: .consistentHash, weights: [1, 1], workers: []).allSatisfy { $0.worker == nil })
    }
}

@Suite struct StreamHubTests {
    func envelope(_ source: String, _ seq: Int64) -> Envelope {
        Envelope(id: "\(source)-\(seq)", source: source, seq: seq, timestamp: t0, event: .stateChangeSuppressed(StateChangeSuppressed(node: source, state: "x")))
    }

    @Test func replaysExactlyWhatWasMissedInOrder() {
        var hub = StreamHub(capacityPerSource: 100)
        for i in 1...10 {
            hub.record(envelope("a", Int64(i)))
            hub.record(envelope("b", Int64(i)))
        }
        let missed = hub.replay(after: ["a": 7, "b": 9])
        #expect(missed?.map { "\($0.source)\($0.seq)" } == ["a8", "a9", "a10", "b10"])
        #expect(hub.replay(after: ["a": 10, "b": 10])?.isEmpty == true)
        #expect(hub.replay(after: ["a": 10, "b": 10], covering: ["a"])?.isEmpty == true)
        #expect(hub.replay(after: ["a": 3], covering: ["a"])?.count == 7)
    }

    @Test func cannotReplayWhatItNoLongerHolds() {
        var hub = StreamHub(capacityPerSource: 5)
        for i in 1...20 { hub.record(envelope("a", Int64(i))) }
        #expect(hub.count(for: "a") == 5)
        #expect(hub.replay(after: ["a": 15])?.count == 5)
        #expect(hub.replay(after: ["a": 14]) == nil)  // 15 was evicted
        #expect(hub.replay(after: ["a": 25]) == nil)  // a seq never sent: the server restarted
        #expect(hub.replay(after: ["z": 3]) == nil)  // a source it holds nothing of
        #expect(hub.replay(after: [:]) == nil)  // new client, history gone: snapshot
    }

    @Test func commandResultsAreNotKept() {
        var hub = StreamHub()
        hub.record(Envelope(id: "r", source: "a", seq: 0, timestamp: t0, event: .commandResult(CommandResult(requestID: "1", op: "promote", status: .accepted, reason: nil))))
        #expect(hub.count(for: "a") == 0)
    }
}

@Suite struct DurationTests {
    @Test func parsesScenarioDurations() {
        #expect(parseDuration("10s") == 10_000)
        #expect(parseDuration("500ms") == 500)
        #expect(parseDuration("1m30s") == 90_000)
        #expect(parseDuration("2h") == 7_200_000)
        #expect(parseDuration("1.5s") == 1_500)
        #expect(parseDuration("3") == 3_000)
        #expect(parseDuration(" 4s ") == 4_000)
        for bad in ["", "s", "10x", "-1s", "1s2", "ten", "1 s"] {
            #expect(parseDuration(bad) == nil, "accepted \(bad)")
        }
    }
}

/// The counts `apply` keeps up to date (quorum, orphaned partitions, the
/// follower name width) always equal a recount from scratch, through ten
/// minutes of scripted trouble: crashes, health flaps, joins, leaves,
/// rebalances and promotions.
@Suite struct CachedCountsTests {
    static func recount(_ s: ClusterState) -> (QuorumStatus, Int, Int) {
        var members = 0
        var serviceable = 0
        for n in s.nodes.values where n.isMember {
            members += 1
            if n.isPresent && n.info.health.isServiceable { serviceable += 1 }
        }
        let present = Set(s.nodes.values.filter(\.isPresent).map(\.id))
        let orphans = s.assignment?.orphanCount(presentNodes: present) ?? 0
        let width = s.followers.keys.map(\.count).max() ?? 0
        return (QuorumStatus(members: members, serviceable: serviceable), orphans, width)
    }

    @Test func countsMatchARecountAfterEveryEvent() {
        var sim = SimCluster(config: fastConfig { $0.demoFaults = true; $0.seed = 3 }, start: t0)
        var state = ClusterState()
        var checked = 0
        var healthChanges = 0
        var mismatches = 0
        func check(_ e: Envelope) {
            state.apply(e)
            if case .healthChanged = e.event { healthChanges += 1 }
            let (q, orphans, width) = Self.recount(state)
            if state.quorum != q || state.orphanedPartitions != orphans || state.followerNameWidth != width {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("after \(e.type) \(e.id): quorum \(state.quorum) vs \(q), orphans \(state.orphanedPartitions) vs \(orphans), width \(state.followerNameWidth) vs \(width)")
                }
            }
            checked += 1
        }
        check(sim.snapshot())
        for step in 1...60 {
            for e in sim.advance(to: t0.adding(millis: Int64(step) * 10_000)) { check(e) }
            if step == 20 { for e in sim.inject(.crash(node: "node-3")) { check(e) } }
            if step == 35 { for e in sim.inject(.restart(node: "node-3")) { check(e) } }
        }
        #expect(mismatches == 0)
        #expect(checked > 1_000)
        #expect(healthChanges > 5, "the run must exercise health changes (saw \(healthChanges))")
    }
}
