import ClusterProtocol
import ClusterState
import Dashboard

/// A plain-text account of a state: what the panes will show, as lines.
enum Summary {
    /// `malformed` is the count when `decodeErrors` holds only the first few.
    static func render(
        _ s: ClusterState, decodeErrors: [String], malformed: Int? = nil, resyncs: [ResyncReason], logLines: Int = 12, showErrors: Int = 5
    ) -> String {
        var out: [String] = []
        let primaries = s.primaries
        let status: String
        if s.isSplitBrain {
            status = "SPLIT BRAIN (\(primaries.joined(separator: ", ")))"
        } else if s.hasNoPrimary {
            status = "NO PRIMARY"
        } else {
            status = "primary \(primaries.first ?? "-")"
        }
        let q = s.quorum
        out.append(
            "cluster \(s.clusterName ?? "?")  term \(s.term)  \(status)  quorum \(q.serviceable)/\(q.members) \(q.present ? "ok" : "LOST")")
        out.append("")
        out.append("Nodes")
        for n in s.orderedNodes {
            let lag = n.info.lagMillis.map { formatDuration($0, .words) } ?? "-"
            let gone = n.departure.map { " (left: \($0.reason.wire))" } ?? ""
            out.append(
                "  \(n.id.fitted(12)) \(n.info.role.wire.fitted(9)) \(n.info.health.wire.fitted(10)) \(n.info.managerState.wire.fitted(12)) lag \(lag)\(gone)"
            )
        }
        if let a = s.assignment {
            out.append("")
            out.append(
                "Assignment v\(a.version) \(a.strategy.wire): \(a.partitions.count) partitions, \(a.movedInLastRebalance) moved in the last rebalance, \(s.orphanedPartitions) orphaned, \(a.duplicateIDs.count) duplicated"
            )
            for (w, load) in a.workers.sorted(by: { naturalLess($0.key, $1.key) }) {
                out.append("  \(w.fitted(12)) \(String(load.partitions).fitted(5)) partitions  weight \(load.weight)  moved in \(load.movedIn)")
            }
        }
        if !s.migrations.isEmpty {
            out.append("")
            out.append("Migrations")
            for m in s.orderedMigrations {
                out.append(
                    "  \(m.id) \(m.info.tenant) \(m.info.source) -> \(m.info.target)  \(m.info.state.wire)  \(Int(m.fraction * 100))%  phases \(m.phases.count)"
                )
            }
        }
        out.append("")
        out.append("Failover log (last \(min(logLines, s.log.count)) of \(s.logAppended))")
        for entry in s.log.suffix(logLines) {
            out.append("  \(entry.at.clockTime) \(entry.source.fitted(8)) \(entry.text)")
        }
        out.append("")
        let c = s.counters
        out.append(
            "events applied \(c.applied), duplicates \(c.duplicates), stale \(c.stale), gaps \(c.gaps), unknown types \(c.unknownTypes), malformed \(malformed ?? decodeErrors.count), resync requests \(resyncs.count)"
        )
        for e in decodeErrors.prefix(showErrors) { out.append("  malformed: \(e)") }
        for r in resyncs.prefix(5) { out.append("  resync: \(r)") }
        return out.joined(separator: "\n")
    }
}

extension String {
    /// Left-aligned in `width` columns (longer text is kept whole).
    func fitted(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
