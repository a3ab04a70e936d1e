import ClusterProtocol
import ClusterState

extension SimCluster {
    // MARK: The timeline

    mutating func run(_ action: SimAction) {
        switch action {
        case .startup(let step): startup(step)
        case .finishColdStart: finishColdStart()
        case .completeElection(let t, let c, let then): completeElection(term: t, candidate: c, then: then)
        case .finishPromotion(let r, let c): finishPromotion(requestID: r, candidate: c)
        case .migrationStep(let id): migrationStep(id)
        case .nodeStartup(let n, let step): nodeStartup(n, step)
        case .finishPlannedScale(let n): finishPlannedScale(newNode: n)
        case .endLagSpike(let n):
            if let i = index(of: n) { nodes[i].spikeUntil = nil }
        case .degradeStep(let n): degradeStep(n)
        case .recover(let n): apply(.recover(node: n))
        case .endQuorumLoss(let ns): endQuorumLoss(ns)
        case .reconnect(let n): apply(.reconnect(node: n))
        case .fault(let f): apply(f)
        case .demo(let step): demo(step)
        }
    }

    /// The cold start of domain.md: every node walks init -> claiming_id ->
    /// election -> waiting_assignment -> stable; one election; the leader
    /// publishes the first assignment after the cold-start window.
    mutating func startup(_ step: Int) {
        let stepMillis = max(1, config.startupStepMillis)
        switch step {
        case 0:
            for i in nodes.indices {
                emit(nodes[i].id, .nodeJoined(NodeJoined(node: nodeInfo(nodes[i]))))
            }
        case 1:
            for i in nodes.indices { setState(i, to: .claimingID) }
        case 2:
            for i in nodes.indices { setState(i, to: .election) }
            term = 1
            emit(nodes[0].id, .electionStarted(ElectionStarted(term: term, candidate: nodes[0].id)))
        case 3:
            emit(nodes[0].id, .leaderElected(LeaderElected(term: term, leader: nodes[0].id, votes: Int64(nodes.count))))
            setRole(0, .primary, reason: "elected")
            for i in nodes.indices.dropFirst() { setRole(i, .replica, reason: "follower of \(nodes[0].id)") }
            for i in nodes.indices {
                nodes[i].running = true
                if i == 0 {
                    setState(i, to: .waitingAssignment, calculator: .scaling, reason: .coldStart, window: config.coldStartWindowMillis)
                } else {
                    setState(i, to: .waitingAssignment)
                }
            }
            schedule(after: config.coldStartWindowMillis, .finishColdStart)
            return
        default:
            return
        }
        schedule(after: stepMillis, .startup(step: step + 1))
    }

    mutating func finishColdStart() {
        guard let l = leader, let li = index(of: l) else { return }
        publish(reason: .coldStart, from: l)
        for i in nodes.indices where nodes[i].alive && nodes[i].manager == .waitingAssignment {
            setState(i, to: .stable, calculator: i == li ? .idle : nil)
        }
    }

    /// Recomputes the table over the alive workers and publishes it whole.
    mutating func publish(reason: RebalanceReason, from source: String, correlation: String? = nil) {
        let workers = nodes.filter { $0.alive && $0.running }.map(\.id)
        table = AssignmentCalculator.assign(strategy: config.strategy, weights: weights, workers: workers)
        assignmentVersion += 1
        emit(
            source,
            .assignmentPublished(
                AssignmentPublished(version: assignmentVersion, strategy: config.strategy, reason: reason, partitions: table)),
            correlation: correlation)
    }

    /// Recomputes the table and sends only what moved.
    mutating func publishDelta(from source: String) {
        let workers = nodes.filter { $0.alive && $0.running }.map(\.id)
        let next = AssignmentCalculator.assign(strategy: config.strategy, weights: weights, workers: workers)
        var moves: [PartitionMove] = []
        for (old, new) in zip(table, next) where old.worker != new.worker {
            moves.append(PartitionMove(partition: new.id, from: old.worker, to: new.worker))
        }
        let base = assignmentVersion
        table = next
        assignmentVersion += 1
        emit(source, .assignmentMoved(AssignmentMoved(version: assignmentVersion, baseVersion: base, moves: moves)))
    }

    /// Background activity of one tick: heartbeats and lag samples.
    mutating func tick() {
        if now >= nextHeartbeat {
            nextHeartbeat = nextHeartbeat.adding(millis: max(1, config.heartbeatMillis))
            for n in nodes where n.alive && n.running {
                emit(
                    n.id,
                    .heartbeat(
                        NodeHeartbeat(
                            node: n.id, role: n.role, health: n.health, term: term,
                            assignmentVersion: assignmentVersion > 0 ? assignmentVersion : nil)))
            }
        }
        let followers = nodes.indices.filter { nodes[$0].alive && nodes[$0].running && nodes[$0].role == .replica }
        guard !followers.isEmpty, let leaderID = leader else { return }
        let perSecond = config.rate ?? Double(followers.count)
        sampleBudget += perSecond * Double(config.tickMillis) / 1000
        var n = Int(sampleBudget)
        sampleBudget -= Double(n)
        n = min(n, 100_000)
        for _ in 0..<n {
            sampleCursor = (sampleCursor + 1) % followers.count
            sampleLag(followers[sampleCursor], leader: leaderID)
        }
    }

    /// One lag sample: a random walk around the node's base, with spikes,
    /// growth while disconnected, and health that follows the lag.
    mutating func sampleLag(_ i: Int, leader leaderID: String) {
        var lag = nodes[i].lagMillis
        let base = nodes[i].baseLagMillis
        if !nodes[i].connected {
            lag += Double(config.tickMillis) * 10
        } else if let until = nodes[i].spikeUntil, now < until {
            lag += (nodes[i].spikeTarget - lag) * 0.5
        } else {
            lag += rng.gaussian() * 25 - (lag - base) * 0.15
            if rng.unit() < 0.002 { lag = 4_000 + rng.unit() * 8_000 }
        }
        lag = max(5, min(lag, 3_600_000))
        nodes[i].lagMillis = lag
        let lagMs = Int64(lag)
        emit(
            nodes[i].id,
            .replicationLag(
                ReplicationLag(
                    follower: nodes[i].id, leader: leaderID, lagMillis: lagMs, lagEntries: lagMs / 4,
                    walPosition: 100_000 + now.millis / 4 - lagMs / 4)))
        if lagMs > 60_000, nodes[i].health == .healthy {
            setHealth(i, .suspect, failures: 1, detail: "replication lag \(formatDuration(lagMs, .words))", cause: .lag)
        } else if lagMs < 30_000, nodes[i].healthCause == .lag, nodes[i].health == .suspect {
            setHealth(i, .healthy, failures: 0, detail: "replication caught up", cause: .none)
        }
    }
}
