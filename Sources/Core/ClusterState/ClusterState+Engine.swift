import ClusterProtocol

extension ClusterState {
    /// Entries of the engine's leader history kept.
    static let engineHistoryCap = 64

    /// Whether the lag figures of this cluster count data behind (bytes or
    /// transactions, as the engine says) rather than time.
    public var lagCounted: Bool { engine?.countsLag ?? false }
    /// What a counted lag counts: `bytes` or `transactions`.
    public var lagCountUnit: String { engine?.lagUnit ?? "bytes" }

    /// The engine extensions (docs/PROTOCOL.md, "Engine extensions").
    mutating func reduceEngine(_ e: Envelope) {
        let t = e.timestamp
        switch e.event {
        case .engineStatus(let d):
            let before = engine
            engine = d
            if let before {
                if before.paused != d.paused {
                    appendLog(e, .warning, .paused(d.paused))
                }
                if before.scheduledSwitchover != d.scheduledSwitchover {
                    if let s = d.scheduledSwitchover {
                        appendLog(e, .notice, .switchoverScheduled(s))
                    } else {
                        appendLog(e, .notice, .switchoverCleared)
                    }
                }
                if before.feed != d.feed, let feed = d.feed {
                    appendLog(e, .info, .feed(feed))
                }
            }

        case .nodeUpdated(let d):
            ensureNode(d.node.id, at: t)
            let old = nodes[d.node.id]?.info.engine
            nodes[d.node.id]?.info.engine = d.node.engine
            if let address = d.node.address { nodes[d.node.id]?.info.address = address }
            if d.node.term > (nodes[d.node.id]?.info.term ?? 0) { nodes[d.node.id]?.info.term = d.node.term }
            let new = d.node.engine
            if let state = new?.state, old?.state != state, let was = old?.state {
                let severity = vocabulary.severity(ofState: state, engine: engine?.name) ?? .warning
                appendLog(e, severity, .engineState(node: d.node.id, from: was, to: state))
            }
            if let new, new.pendingRestart != (old?.pendingRestart ?? false) {
                appendLog(e, .notice, .pendingRestart(node: d.node.id, pending: new.pendingRestart))
            }
            if let new, let old, new.tags != old.tags {
                // Only what changed (a slot count, not the node id again).
                let changed = new.tags.filter { !old.tags.contains($0) }
                if !changed.isEmpty { appendLog(e, .notice, .tags(node: d.node.id, changed)) }
            }

        case .replicationLagBytes(let d):
            ensureNode(d.follower, at: t)
            followers[d.follower, default: FollowerRecord(follower: d.follower)].record(d, at: t, limits: limits)

        case .failoverHistory(let d):
            let known = Set(engineHistory.map(\.term))
            for entry in d.entries where !known.contains(entry.term) && hasSnapshot {
                appendLog(e, .notice, .timelineEnded(term: entry.term, leader: entry.leader, reason: entry.reason))
            }
            engineHistory = Array(d.entries.suffix(ClusterState.engineHistoryCap))

        case .engineNotice(let d):
            // Bounded: an engine's words are kept to a line.
            let severity = vocabulary.severity(ofNotice: d.kind, engine: engine?.name) ?? .notice
            appendLog(
                e, severity,
                .engineNotice(from: d.from.map { String($0.prefix(64)) }, kind: String(d.kind.prefix(40)), text: String(d.text.prefix(200))))

        default:
            break
        }
    }
}
