import ClusterProtocol
import ClusterState

extension SimCluster {
    mutating func apply(_ fault: Fault) {
        switch fault {
        case .lagSpike(let node, let millis, let duration):
            guard let i = index(of: node), nodes[i].alive else { return }
            nodes[i].spikeTarget = Double(max(0, millis))
            nodes[i].spikeUntil = now.adding(millis: max(0, duration))
            schedule(after: max(0, duration), .endLagSpike(node: node))

        case .crash(let node):
            crash(node)

        case .restart(let node):
            guard let i = index(of: node), !nodes[i].alive else { return }
            nodes[i].alive = true
            nodes[i].running = false
            nodes[i].role = .replica
            nodes[i].health = .healthy
            nodes[i].failures = 0
            nodes[i].healthCause = .none
            nodes[i].manager = .initial
            nodes[i].calculator = nil
            nodes[i].connected = true
            nodes[i].lagMillis = nodes[i].baseLagMillis
            nodes[i].joinedAt = now
            emit(node, .nodeJoined(NodeJoined(node: nodeInfo(nodes[i]))))
            schedule(after: config.startupStepMillis, .nodeStartup(node: node, step: 1))

        case .degrade(let node, let duration):
            guard let i = index(of: node), nodes[i].alive else { return }
            nodes[i].healthCause = .fault
            degradeStep(node)
            if let duration { schedule(after: duration, .recover(node: node)) }

        case .recover(let node):
            guard let i = index(of: node), nodes[i].alive, nodes[i].health != .healthy else { return }
            setHealth(i, .healthy, failures: 0, detail: "health checks passing", cause: .none)
            if primary == nil, leader == nil { startElection(then: .nothing) }

        case .quorumLoss(let duration):
            // Cut off a majority of the replicas (never the primary itself).
            let alive = nodes.indices.filter { nodes[$0].alive }
            let needed = alive.count / 2 + 1
            let victims = alive.filter { nodes[$0].role != .primary }.prefix(max(0, alive.count - needed + 1))
            for i in victims {
                setHealth(i, .unhealthy, failures: 5, detail: "unreachable from the primary", cause: .unreachable)
                if nodes[i].connected {
                    nodes[i].connected = false
                    emit(speaker, .followerStatus(FollowerStatus(follower: nodes[i].id, status: .disconnected, since: now)))
                }
            }
            if !quorumPresent, let p = primary, let pi = index(of: p) {
                emit(p, .demoted(Demoted(node: p, cause: .quorumLoss, term: term)))
                setRole(pi, .replica, reason: "quorum_loss")
            }
            schedule(after: max(0, duration), .endQuorumLoss(nodes: victims.map { nodes[$0].id }))

        case .disconnect(let node, let duration):
            guard let i = index(of: node), nodes[i].alive, nodes[i].role != .primary, nodes[i].connected else { return }
            nodes[i].connected = false
            emit(speaker, .followerStatus(FollowerStatus(follower: node, status: .disconnected, since: now)))
            if let duration { schedule(after: duration, .reconnect(node: node)) }

        case .reconnect(let node):
            guard let i = index(of: node), nodes[i].alive, !nodes[i].connected else { return }
            nodes[i].connected = true
            emit(speaker, .followerStatus(FollowerStatus(follower: node, status: .connected, since: now)))

        case .suppressedRepeat(let node):
            // Someone asks for a state that already holds: nothing changes.
            let target = node.flatMap { n in nodes.first { $0.id == n && $0.alive } } ?? nodes.first { $0.role == .primary && $0.alive }
            guard let target else { return }
            emit(target.id, .stateChangeSuppressed(StateChangeSuppressed(node: target.id, state: target.role.wire)))
        }
    }

    mutating func crash(_ node: String) {
        guard let i = index(of: node), nodes[i].alive else { return }
        let wasPrimary = nodes[i].role == .primary
        nodes[i].alive = false
        nodes[i].running = false
        nodes[i].role = .unknown
        nodes[i].calculator = nil
        if leader == node { leader = nil }
        // The cluster notices: reported by a surviving node.
        emit(speaker, .nodeLeft(NodeLeft(node: node, reason: .crashed)))
        // Migrations it was part of cannot be affected here: tenants live in regions.
        if wasPrimary {
            startElection(then: .emergencyRebalance)
        } else {
            emergencyRebalance()
        }
    }

    /// A worker vanished: rebalance at once (0 s window).
    mutating func emergencyRebalance() {
        guard let l = leader, let li = index(of: l), nodes[li].alive else { return }
        setState(li, to: .emergency, calculator: .emergency, reason: .emergency, window: 0)
        publish(reason: .emergency, from: l)
        setState(li, to: .stable, calculator: .idle)
    }

    /// Starts an election among the serviceable, connected replicas; nothing
    /// happens without a quorum (the cluster waits for it to return).
    mutating func startElection(then: SimAction.AfterElection) {
        guard quorumPresent, primary == nil else { return }
        let candidates = nodes.filter { $0.alive && $0.running && $0.isServiceable && $0.connected && $0.role != .primary }
        guard
            let winner = candidates.min(by: { a, b in
                a.lagMillis != b.lagMillis ? a.lagMillis < b.lagMillis : naturalLess(a.id, b.id)
            })
        else { return }
        term += 1
        emit(winner.id, .electionStarted(ElectionStarted(term: term, candidate: winner.id)))
        if let i = index(of: winner.id) { nodes[i].role = .candidate }
        schedule(after: 300, .completeElection(term: term, candidate: winner.id, then: then))
    }

    mutating func completeElection(term electionTerm: Int64, candidate: String, then: SimAction.AfterElection) {
        guard electionTerm == term, let i = index(of: candidate), nodes[i].alive, nodes[i].role == .candidate,
            primary == nil, quorumPresent
        else {
            if let i = index(of: candidate), nodes[i].role == .candidate { nodes[i].role = .replica }
            return
        }
        let votes = Int64(nodes.filter(\.isServiceable).count)
        emit(candidate, .leaderElected(LeaderElected(term: term, leader: candidate, votes: votes)))
        nodes[i].role = .replica  // so the role change reads replica -> primary
        setRole(i, .primary, reason: "elected")
        inhibit(reason: "recent_failover")
        if then == .emergencyRebalance { emergencyRebalance() }
    }

    /// One step of failing health checks: healthy -> suspect -> degraded -> unhealthy.
    mutating func degradeStep(_ node: String) {
        guard let i = index(of: node), nodes[i].alive, nodes[i].healthCause == .fault || nodes[i].health == .healthy else { return }
        switch nodes[i].health {
        case .healthy:
            setHealth(i, .suspect, failures: 1, detail: "health check timeout", cause: .fault)
        case .suspect:
            setHealth(i, .degraded, failures: 3, detail: "disk latency 480 ms", cause: .fault)
        case .degraded:
            setHealth(i, .unhealthy, failures: 5, detail: "disk latency 2300 ms", cause: .fault)
            if nodes[i].role == .primary {
                emit(node, .demoted(Demoted(node: node, cause: .health, term: term)))
                setRole(i, .replica, reason: "health")
                startElection(then: .nothing)
            }
            return
        default:
            return
        }
        schedule(after: 1_000, .degradeStep(node: node))
    }

    mutating func endQuorumLoss(_ ids: [String]) {
        for id in ids {
            guard let i = index(of: id), nodes[i].alive else { continue }
            if !nodes[i].connected {
                nodes[i].connected = true
                emit(speaker, .followerStatus(FollowerStatus(follower: id, status: .connected, since: now)))
            }
            if nodes[i].healthCause == .unreachable {
                setHealth(i, .healthy, failures: 0, detail: "reachable again", cause: .none)
            }
        }
        if primary == nil { startElection(then: .nothing) }
    }

    /// A restarted node walks its start-up states, then a planned rebalance
    /// gives it partitions.
    mutating func nodeStartup(_ node: String, _ step: Int) {
        guard let i = index(of: node), nodes[i].alive else { return }
        switch step {
        case 1: setState(i, to: .claimingID)
        case 2: setState(i, to: .election)
        case 3:
            setState(i, to: .waitingAssignment)
            nodes[i].running = true
            if let l = leader, let li = index(of: l) {
                setState(li, to: .scaling, calculator: .scaling, reason: .plannedScale, window: config.plannedScaleWindowMillis)
                schedule(after: config.plannedScaleWindowMillis, .finishPlannedScale(node: node))
            }
            return
        default: return
        }
        schedule(after: config.startupStepMillis, .nodeStartup(node: node, step: step + 1))
    }

    mutating func finishPlannedScale(newNode: String) {
        guard let l = leader, let li = index(of: l) else { return }
        setState(li, to: .rebalancing, calculator: .rebalancing, reason: .plannedScale, window: 0)
        publishDelta(from: l)
        setState(li, to: .stable, calculator: .idle)
        if let ni = index(of: newNode), nodes[ni].alive, nodes[ni].manager == .waitingAssignment {
            setState(ni, to: .stable)
        }
    }

    // MARK: Demo faults

    /// Scripted trouble, one act every 30 s, repeating every 4 minutes.
    mutating func demo(_ step: Int) {
        let replicas = nodes.filter { $0.alive && $0.role == .replica }.map(\.id)
        let someReplica = replicas.last
        switch step % 8 {
        case 0:
            if let r = replicas.first { apply(.lagSpike(node: r, millis: 45_000, durationMillis: 12_000)) }
        case 1:
            if let r = someReplica { apply(.disconnect(node: r, durationMillis: 20_000)) }
        case 2:
            if let r = someReplica { apply(.crash(node: r)) }
        case 3:
            if let dead = nodes.first(where: { !$0.alive }) { apply(.restart(node: dead.id)) }
        case 4:
            if let p = primary { apply(.degrade(node: p, durationMillis: 25_000)) }
        case 5:
            apply(.suppressedRepeat(node: nil))
        case 6:
            apply(.quorumLoss(durationMillis: 15_000))
        default:
            for n in nodes where !n.alive { apply(.restart(node: n.id)) }
        }
        schedule(after: 30_000, .demo(step: step + 1))
    }
}
