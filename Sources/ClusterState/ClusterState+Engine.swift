import ClusterProtocol

extension ClusterState {
    /// Entries of the engine's leader history kept.
    static let engineHistoryCap = 64

    /// Whether the lag figures of this cluster count bytes (Patroni).
    public var lagInBytes: Bool { engine?.measuresBytes ?? false }

    /// The engine extensions (docs/PROTOCOL.md, "Engine extensions").
    mutating func reduceEngine(_ e: Envelope) {
        let t = e.timestamp
        switch e.event {
        case .engineStatus(let d):
            let before = engine
            engine = d
            if let before {
                if before.paused != d.paused {
                    appendLog(e, .warning, d.paused ? "cluster paused: automatic failover is off" : "cluster resumed: automatic failover is on")
                }
                if before.scheduledSwitchover != d.scheduledSwitchover {
                    if let s = d.scheduledSwitchover {
                        let at = s.at.map { " at \($0.clockTime)" } ?? ""
                        appendLog(e, .notice, "switchover scheduled\(at): \(s.from ?? "leader") -> \(s.to ?? "any replica")")
                    } else {
                        appendLog(e, .notice, "scheduled switchover cleared")
                    }
                }
                if before.feed != d.feed, let feed = d.feed {
                    appendLog(e, .info, "changes now come by \(feed)")
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
                appendLog(e, stateSeverity(state), "\(d.node.id) \(was) -> \(state)")
            }
            if let new, new.pendingRestart != (old?.pendingRestart ?? false) {
                appendLog(e, .notice, "\(d.node.id) \(new.pendingRestart ? "needs a restart (pending restart)" : "restarted: no restart pending")")
            }
            if let new, let old, new.tags != old.tags {
                let tags = new.tags.map { "\($0.key)=\(JSONWriter.string($0.value))" }.joined(separator: " ")
                appendLog(e, .notice, "\(d.node.id) tags: \(tags.isEmpty ? "none" : tags)")
            }

        case .replicationLagBytes(let d):
            ensureNode(d.follower, at: t)
            followers[d.follower, default: FollowerRecord(follower: d.follower)].record(d, at: t, limits: limits)

        case .failoverHistory(let d):
            let known = Set(engineHistory.map(\.term))
            for entry in d.entries where !known.contains(entry.term) && hasSnapshot {
                let reason = entry.reason.map { ": \($0)" } ?? ""
                appendLog(e, .notice, "timeline \(entry.term) ended: \(entry.leader ?? "?") leads timeline \(entry.term + 1)\(reason)")
            }
            engineHistory = Array(d.entries.suffix(ClusterState.engineHistoryCap))

        default:
            break
        }
    }

    private func stateSeverity(_ state: String) -> LogSeverity {
        switch state {
        case "running", "streaming": .notice
        case "crashed", "start failed", "restart failed", "stopped": .critical
        default: .warning
        }
    }
}
