import ClusterProtocol
import ClusterState
import EventSources

/// The files of an incident bundle, as text: `incident.md` for people and
/// `events.jsonl` (the raw envelopes of the window) for `clusterdash replay`.
public enum IncidentBundle {
    /// Events this long before the incident start are included for context.
    public static let leadMillis: Int64 = 60_000

    public static func window(_ m: AppModel) -> (start: Timestamp, end: Timestamp) {
        let start = (m.incidentStart ?? m.now.adding(millis: -600_000)).adding(millis: -leadMillis)
        return (start, m.now)
    }

    /// Recorder lines (`{"at":…,"endpoint":0,"frame":{…}}`) of the window.
    public static func eventsJSONL(_ m: AppModel) -> String {
        let (start, _) = window(m)
        var out = ""
        for e in m.recent where e.timestamp >= start {
            out += Recorder.line(frame: EnvelopeCodec.encodeString(e), endpoint: 0, at: e.timestamp)
        }
        return out
    }

    static func roleTable(_ s: ClusterState) -> String {
        var out = "| node | role | health | state | lag |\n| --- | --- | --- | --- | --- |\n"
        for n in s.orderedNodes {
            let role = n.departure.map { "left (\($0.reason.wire))" } ?? n.info.role.wire
            out +=
                "| \(n.id) | \(role) | \(n.info.health.wire) | \(n.info.managerState.wire) | \(n.info.lagMillis.map { formatDuration($0, .compactMillis) } ?? "-") |\n"
        }
        return out
    }

    public static func markdown(_ m: AppModel) -> String {
        let s = m.state
        let (start, end) = window(m)
        let alerts = currentAlerts(m)
        var md = "# Incident report: \(m.clusterLabel ?? s.clusterName ?? "cluster")\n\n"
        md += "- generated: \(end.rfc3339)\n"
        md += "- incident started: \(m.incidentStart?.rfc3339 ?? "no incident active (last 10 minutes)")\n"
        md +=
            "- status now: \(wallStatus(m).rawValue), term \(s.term), primary \(s.primaries.isEmpty ? "none" : s.primaries.joined(separator: ", ")), quorum \(s.quorum.serviceable)/\(s.quorum.members)\n"
        md +=
            "- events in `events.jsonl`: \(m.recent.filter { $0.timestamp >= start }.count), from \(start.rfc3339) (replay: `clusterdash replay events.jsonl`)\n\n"
        md += "## Summary\n\n"
        let demotions = s.log.filter { e in
            guard e.at >= start, case .demoted = e.kind else { return false }
            return true
        }.map(\.text)
        let elections = s.log.filter { e in
            guard e.at >= start, case .leaderElected = e.kind else { return false }
            return true
        }.map(\.text)
        md += alerts.isEmpty ? "Nothing is wrong now.\n" : "\(alerts.count) alert(s) now, worst: \(alerts[0].text).\n"
        if !demotions.isEmpty { md += "Demotions: \(demotions.joined(separator: "; ")).\n" }
        if !elections.isEmpty { md += "Elections: \(elections.joined(separator: "; ")).\n" }
        md += "\n## Alerts now\n\n"
        let listed = listedAlerts(m)
        md +=
            listed.isEmpty
            ? "none\n"
            : listed.map { a in
                let flaps =
                    a.flaps > 0
                    ? ", flapping \(a.flaps + 1)x since \(a.flappingSince?.clockTime ?? "?")\(a.clearedAt.map { ", clear since \($0.clockTime)" } ?? "")"
                    : ""
                let ack = a.ack.map { ", acknowledged by \($0.by) at \($0.at.clockTime)" } ?? ""
                return "- **\(a.severity.label)** since \(a.since?.clockTime ?? "?"): \(a.text)\(flaps)\(ack)"
            }.joined(separator: "\n") + "\n"
        md += "\n## Roles at the start\n\n"
        let before = stateAt(m.incidentStart ?? start, m)
        md += before.hasSnapshot ? roleTable(before) : "(the recent history does not reach back to the start)\n"
        md += "\n## Roles now\n\n" + roleTable(s)
        md += "\n## Promotions\n\n"
        let promotions = s.promotions.values
        md +=
            promotions.isEmpty
            ? "none\n"
            : promotions.map { p -> String in
                var line = "- `\(p.requestID)`: \(p.explanation)"
                if !p.checks.isEmpty {
                    line += "\n" + p.checks.map { "  - \($0.ok ? "ok" : "FAILED") \($0.invariant.wire): \($0.detail ?? "")" }.joined(separator: "\n")
                }
                return line
            }.joined(separator: "\n") + "\n"
        md += "\n## Operator actions\n\n"
        let actions = m.operatorActions.filter { $0.at >= start }
        md +=
            actions.isEmpty
            ? "none\n"
            : actions.map { a -> String in
                let result =
                    a.requestID.flatMap { s.commandResults[$0] }.map { "\($0.status.wire)\($0.reason.map { " (\($0))" } ?? "")" } ?? "no result seen"
                return "- \(a.at.clockTime) \(a.op) \(a.target), confirmed with \(a.confirmation); result: \(result)\n"
                    + a.dialog.map { "  - \($0)" }.joined(separator: "\n")
            }.joined(separator: "\n") + "\n"
        // What this dashboard never received of the window, said outright:
        // the timeline and events.jsonl have a hole there.
        md += "\n## History not received\n\n"
        let holes = s.lostHistory.filter { $0.to >= start }
        md +=
            holes.isEmpty
            ? "none: every event of the window was received\n" : holes.map { "- \($0.from.rfc3339) to \($0.to.rfc3339): \($0.sentence)\n" }.joined()
        md += "\n## Timeline\n\n"
        for it in incidentTimeline(m) { md += "- \(it.at.rfc3339) \(it.text)\n" }
        return md
    }
}

extension AuditRecord {
    /// One line of `audit.jsonl`, naming the cluster it was about (a fleet
    /// writes one audit log for every cluster).
    public func jsonLine(cluster: String? = nil) -> String {
        var b = ObjectBuilder()
        if let cluster { b.put("cluster", cluster) }
        switch self {
        case .action(let a):
            b.put("at", a.at)
            b.put("kind", "action")
            b.put("op", a.op)
            b.put("key", a.key)
            b.put("target", a.target)
            b.put("dialog", .array(a.dialog.map { .string($0) }))
            b.put("confirmation", a.confirmation)
            b.put("request_id", a.requestID)
        case .result(let id, let op, let status, let reason, let at):
            b.put("at", at)
            b.put("kind", "result")
            b.put("op", op)
            b.put("request_id", id)
            b.put("status", status)
            b.put("reason", reason)
        }
        return JSONWriter.string(b.value)
    }
}
