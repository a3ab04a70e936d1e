import ClusterProtocol
import DequeModule

extension ClusterState {
    /// Applies one envelope. Idempotent: an id already applied changes nothing.
    /// Gaps, restarts and delta mismatches are applied as far as they can be
    /// and reported in the outcome so the caller can ask for a snapshot.
    @discardableResult
    public mutating func apply(_ e: Envelope) -> ApplyOutcome {
        apply(e, checkingDuplicates: true)
    }

    /// `checkingDuplicates: false` skips the de-duplication window: only for
    /// envelopes known to be new, such as the dashboard's kept history (which
    /// holds what the live state accepted) replayed into its rewind base.
    @discardableResult
    public mutating func apply(_ e: Envelope, checkingDuplicates: Bool) -> ApplyOutcome {
        if checkingDuplicates, !seenIDs.insert(e.id) {
            counters.duplicates += 1
            return .duplicate
        }
        var outcome = ApplyOutcome.applied
        if !e.isSupportedVersion {
            counters.unsupportedVersions += 1
            outcome.versionWarning = e.version
        }
        if let t = lastEventAt {
            if e.timestamp > t { lastEventAt = e.timestamp }
        } else {
            lastEventAt = e.timestamp
        }

        // Sequence tracking. command.result (seq 0) stands outside it; a
        // snapshot sets every covered source's seq instead of advancing one.
        if case .snapshot(let s) = e.event {
            // A snapshot that starts past what was applied: the events
            // between never came (the log says which stretch).
            noteLostHistory(skipped(by: s, envelope: e), before: e)
        } else if e.seq > 0 {
            outcome.resync = track(e)
        }
        if let node = nodes[e.source] {
            if node.lastHeard.map({ e.timestamp > $0 }) ?? true {
                nodes[e.source]?.lastHeard = e.timestamp
            }
        }

        let nodeCount = nodes.count
        let followerCount = followers.count
        addedNode = nil
        // A health change moves quorum by at most one: counted, not recounted.
        var servedBefore = false
        if case .healthChanged(let d) = e.event { servedBefore = nodes[d.node].map(\.servesQuorum) ?? false }
        // A snapshot that covers only some of the sources seen (a per-node
        // endpoint's) is authoritative for those alone (docs/PROTOCOL.md).
        var partial: Set<String>?
        if case .snapshot(let s) = e.event, !s.seqs.isEmpty {
            let covered = Set(s.seqs.keys).union([e.source])
            if seqTracker.last.keys.contains(where: { !covered.contains($0) }) { partial = covered }
        }
        let disposition = partial == nil ? reduce(e) : reducePartialSnapshot(e, covering: partial ?? [])
        if e.seq > 0, !e.isSnapshot, disposition.0 == .applied {
            recent.append(e)
            if recent.count > limits.replayWindow { recent.removeFirst() }
        }
        // One node added (and at most its follower record): taken into the
        // orders in place when it can be.
        let oneAdded =
            nodes.count == nodeCount + 1 && followers.count <= followerCount + 1
            && (followers.count == followerCount || addedNode.map { followers[$0] != nil } == true)
        switch e.event {
        case .nodeJoined where oneAdded && addedNode.map({ insertIntoOrders($0) }) == true:
            refreshCounts()
        case .nodeJoined(let d) where nodes[d.node.id] == nil:
            break  // refused by the node cap: nothing changed
        case .snapshot, .nodeJoined, .nodeLeft, .roleChanged, .electionStarted, .demoted, .authorityTransferred:
            refreshOrders()
            refreshCounts()
        case .assignmentPublished, .assignmentMoved:
            if nodes.count != nodeCount || followers.count != followerCount {
                refreshOrders()
                refreshCounts()
            } else {
                orphanCache = assignment?.orphanCount(presentNodes: presentIDs) ?? 0
            }
        default:
            // Everything else changes no membership, role or assignment (a
            // health change is counted below); only a node or follower that
            // appeared or was dropped by a cap needs the full recount.
            if oneAdded, let id = addedNode, insertIntoOrders(id) {
                refreshCounts()
            } else if nodes.count != nodeCount || followers.count != followerCount {
                refreshOrders()
                refreshCounts()
            } else if case .healthChanged(let d) = e.event, let n = nodes[d.node], n.isMember, n.servesQuorum != servedBefore {
                quorumCache.serviceable += n.servesQuorum ? 1 : -1
            }
        }
        if e.isSnapshot || (e.seq > 0 && disposition.0 == .applied), lastSequencedAt.map({ e.timestamp > $0 }) ?? true {
            lastSequencedAt = e.timestamp
        }
        outcome.disposition = disposition.0
        if outcome.resync == nil, let r = disposition.1 { outcome.resync = r }
        switch outcome.disposition {
        case .applied: counters.applied += 1
        case .stale: counters.stale += 1
        case .duplicate: counters.duplicates += 1
        }
        return outcome
    }

    mutating func track(_ e: Envelope) -> ResyncReason? {
        let (source, seq) = (e.source, e.seq)
        // Past the cap, a source that is not a known node is forgotten first.
        let nodes = self.nodes
        switch seqTracker.observe(source, seq, evictable: { nodes.index(forKey: $0) == nil }) {
        case .first, .next:
            return nil
        case .gap(let expected):
            counters.gaps += 1
            noteLostHistory([source: seq.saturatingSubtract(expected)], before: e)
            return .gap(source: source, expected: expected, received: seq)
        case .restart(let last):
            counters.restarts += 1
            return .restart(source: source, last: last, received: seq)
        }
    }

    // MARK: The reducer proper

    mutating func reduce(_ e: Envelope) -> (ApplyOutcome.Disposition, ResyncReason?) {
        let t = e.timestamp
        switch e.event {
        case .snapshot(let s):
            applySnapshot(s, envelope: e)

        case .nodeJoined(let d):
            var record = nodes[d.node.id] ?? NodeRecord(info: d.node)
            record.info = d.node
            record.departure = nil
            upsert(record)
            raiseTerm(d.node.term)
            appendLog(e, .notice, .joined(node: d.node.id, role: d.node.role, region: d.node.region))

        case .nodeLeft(let d):
            // Another node's report that arrives after the node itself spoke
            // again (merged endpoints: the reporter's endpoint lagged) is old
            // news: logged, not applied.
            if var record = nodes[d.node], record.lastHeard.map({ $0 <= t }) ?? true {
                record.departure = NodeRecord.Departure(reason: d.reason, at: t)
                if record.info.role == .primary {
                    record.info.role = .unknown
                    record.info.calculatorState = nil
                }
                nodes[d.node] = record
                pruneDeparted()
            }
            let severity: LogSeverity = d.reason == .shutdown ? .notice : .critical
            appendLog(e, severity, .left(node: d.node, reason: d.reason))

        case .roleChanged(let d):
            // Only news of the newest term moves the leader: an endpoint that
            // lags (merged endpoints) may bring a change of an older term late.
            let current = d.term >= term
            raiseTerm(d.term)
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.role = d.to
            nodes[d.node]?.info.term = d.term
            if d.to == .primary {
                if current { leader = d.node }
                // A primary has no lag: its follower history ends here.
                nodes[d.node]?.info.lagMillis = nil
                followers[d.node] = nil
            }
            if d.from == .primary, leader == d.node, d.to != .primary, current { leader = nil }
            // The calculator runs on the leader only (its state is null elsewhere).
            if d.from == .primary, d.to != .primary { nodes[d.node]?.info.calculatorState = nil }
            let severity: LogSeverity = (d.to == .primary || d.from == .primary) ? .warning : .notice
            appendLog(e, severity, .roleChanged(node: d.node, from: d.from, to: d.to, term: d.term, reason: d.reason))
            refreshOrders()  // the primaries just changed; the check below reads them
            if isSplitBrain {
                appendLog(e, .critical, .splitBrain(primaries: splitBrainPrimaries), kind: .splitBrain(primaries: splitBrainPrimaries))
            }

        case .healthChanged(let d):
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.health = d.to
            nodes[d.node]?.consecutiveFailures = d.consecutiveFailures
            nodes[d.node]?.healthDetail = d.detail
            let severity: LogSeverity =
                d.to.severity >= 3 ? .critical : d.to.severity > d.from.severity ? .warning : .info
            appendLog(
                e, severity, .health(node: d.node, from: d.from, to: d.to, failedChecks: d.consecutiveFailures, detail: d.detail))

        case .stateChanged(let d):
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.managerState = d.to
            if let c = d.calculatorState {
                nodes[d.node]?.info.calculatorState = c
            }
            if d.calculatorState != nil || d.reason != nil {
                if d.calculatorState == .idle && d.reason == nil {
                    rebalance?.calculatorState = .idle
                } else {
                    rebalance = RebalanceInfo(
                        node: d.node, calculatorState: d.calculatorState, reason: d.reason,
                        windowMillis: d.windowMillis ?? d.reason?.defaultWindowMillis, startedAt: t)
                }
            }
            let window = d.reason.flatMap { d.windowMillis ?? $0.defaultWindowMillis }
            appendLog(
                e, d.to == .emergency ? .warning : .info,
                .managerState(node: d.node, from: d.from, to: d.to, reason: d.reason, windowMillis: window))

        case .electionStarted(let d):
            raiseTerm(d.term)
            ensureNode(d.candidate, at: t)
            if nodes[d.candidate]?.info.role != .primary {
                nodes[d.candidate]?.info.role = .candidate
            }
            appendLog(e, .warning, .electionStarted(term: d.term, candidate: d.candidate))

        case .leaderElected(let d):
            if d.term >= term { leader = d.leader }
            raiseTerm(d.term)
            // A poll of an engine sees the new leader, not the votes: none is said then.
            appendLog(e, .notice, .leaderElected(leader: d.leader, term: d.term, votes: d.votes))

        case .replicationLag(let d):
            ensureNode(d.follower, at: t)
            // In place: a copy of the record would copy its whole history.
            followers[d.follower, default: FollowerRecord(follower: d.follower)].record(d, at: t, limits: limits)
            nodes[d.follower]?.info.lagMillis = d.lagMillis

        case .followerStatus(let d):
            ensureNode(d.follower, at: t)
            var f = followers[d.follower] ?? FollowerRecord(follower: d.follower)
            let changed = f.status != d.status
            f.status = d.status
            if changed || f.statusSince == nil { f.statusSince = d.since ?? t }
            followers[d.follower] = f
            let severity: LogSeverity = f.isConnected ? .notice : .warning
            appendLog(e, severity, .followerStatus(follower: d.follower, status: d.status, connected: f.isConnected))

        case .assignmentPublished(let d):
            if let held = assignment, d.version <= held.version {
                return (.stale, nil)
            }
            let next = AssignmentState(
                version: d.version, strategy: d.strategy, reason: d.reason, publishedAt: t,
                partitions: d.partitions, previous: assignment)
            assignment = next
            appendLog(
                e, next.duplicateIDs.isEmpty ? .notice : .critical,
                .assignmentPublished(
                    version: d.version, strategy: d.strategy, partitions: d.partitions.count, moved: next.movedInLastRebalance,
                    reason: d.reason, duplicates: next.duplicateIDs.count))

        case .assignmentMoved(let d):
            guard var held = assignment else {
                counters.baseVersionMismatches += 1
                return (.stale, .baseVersionMismatch(held: nil, base: d.baseVersion))
            }
            if d.version <= held.version { return (.stale, nil) }
            guard held.version == d.baseVersion else {
                counters.baseVersionMismatches += 1
                return (.stale, .baseVersionMismatch(held: held.version, base: d.baseVersion))
            }
            assignment = nil  // keep the table uniquely referenced while it changes
            held.apply(moves: d.moves, version: d.version)
            held.publishedAt = t
            assignment = held
            appendLog(e, .info, .assignmentMoved(version: d.version, moves: d.moves.count, baseVersion: d.baseVersion))

        case .migrationStarted, .migrationProgress, .migrationCompleted, .migrationFailed, .migrationCancelled:
            return reduceMigration(e)

        case .promotionRequested, .promotionValidated, .promotionDenied, .authorityTransferred, .demoted, .inhibited,
            .stateChangeSuppressed, .commandResult:
            return reduceFailover(e)

        case .heartbeat(let d):
            // A sign of life, not news: no log line. Roles come from role events.
            nodes[d.node]?.info.lastHeartbeat = t
            // The node's own word on its term (a term never goes back): the
            // node table would otherwise show a follower's term from before
            // the last election until a snapshot came.
            if let held = nodes[d.node]?.info.term, d.term > held { nodes[d.node]?.info.term = d.term }
            if let v = d.assignmentVersion { nodes[d.node]?.assignmentVersion = v }
            if d.node != e.source, let n = nodes[d.node], n.lastHeard.map({ t > $0 }) ?? true {
                nodes[d.node]?.lastHeard = t
            }

        case .engineStatus, .nodeUpdated, .replicationLagBytes, .failoverHistory, .engineNotice:
            reduceEngine(e)

        case .unknown(let type, _):
            counters.unknownTypes += 1
            appendLog(e, .info, .unknownType(String(type.prefix(80))))
        }
        return (.applied, nil)
    }
}

extension String {
    /// `quorum_loss` -> `quorum loss`, for text meant to be read.
    public var replacingUnderscores: String {
        String(map { $0 == "_" ? " " : $0 })
    }
}

extension Envelope {
    var isSnapshot: Bool {
        if case .snapshot = event { return true }
        return false
    }
}
