import ClusterProtocol
import ClusterState
import EventSources

/// How bad an alert is; alerts are shown worst first.
public enum AlertSeverity: Int, Sendable, Hashable, Comparable {
    case info, warning, critical

    public static func < (a: AlertSeverity, b: AlertSeverity) -> Bool { a.rawValue < b.rawValue }

    public var label: String {
        switch self {
        case .info: "INFO"
        case .warning: "WARN"
        case .critical: "CRIT"
        }
    }
}

/// One thing wrong right now.
public struct Alert: Sendable, Hashable {
    /// Stable identity, so the start time survives refreshes.
    public var key: String
    public var severity: AlertSeverity
    /// Order among alerts of one severity (lower first).
    public var rank: Int
    public var text: String
    public var since: Timestamp?
    /// Times it came back after clearing within `flapWindowMillis`: one
    /// alert with a count, not a new one each time.
    public var flaps = 0
    /// When the flapping began (its first occurrence); nil when it never flapped.
    public var flappingSince: Timestamp?
    /// Set while a flapping alert is clear (it stays listed, dim, for the window).
    public var clearedAt: Timestamp?
    /// Who acknowledged it (`a`), and when.
    public var ack: AlertAck?
}

/// An acknowledgement of an alert by the person at the console.
public struct AlertAck: Sendable, Hashable {
    public var by: String
    public var at: Timestamp
}

/// What is remembered of an alert between refreshes: when it first came,
/// when it last cleared, how often it came back, its last words.
public struct AlertMemory: Sendable, Hashable {
    /// The start of this occurrence, and of the first one of the series.
    public var since: Timestamp
    public var firstSince: Timestamp
    public var clearedAt: Timestamp?
    public var flaps = 0
    public var last: Alert
    public var ack: AlertAck?
}

/// How long a stretch of lost history stays an alert (the log keeps it).
public let lostHistoryAlertMillis: Int64 = 15 * 60_000

/// An alert that clears and comes back within this long is the same alert, flapping.
public let flapWindowMillis: Int64 = 60_000

/// Nodes may work from different assignment versions this long (a rebalance spreading).
public let versionGraceMillis: Int64 = 30_000

/// The assignment versions present nodes report, when they differ.
func disagreeingVersions(_ s: ClusterState) -> [Int64: [String]]? {
    var byVersion: [Int64: [String]] = [:]
    for n in s.orderedNodes where n.isPresent {
        if let v = n.assignmentVersion { byVersion[v, default: []].append(n.id) }
    }
    return byVersion.count > 1 ? byVersion : nil
}

/// Stale after this long without data.
public let staleDataMillis: Int64 = 30_000

/// What is wrong right now, worst first, computed from the state alone.
public func currentAlerts(_ m: AppModel) -> [Alert] {
    let s = m.state
    let now = m.now
    let t = m.thresholds
    var out: [Alert] = []
    func add(_ key: String, _ sev: AlertSeverity, _ rank: Int, _ text: String) {
        let memory = m.alertMemory[key]
        out.append(
            Alert(
                key: key, severity: sev, rank: rank, text: text, since: memory?.since, flaps: memory?.flaps ?? 0,
                flappingSince: (memory?.flaps ?? 0) > 0 ? memory?.firstSince : nil, clearedAt: nil, ack: memory?.ack))
    }
    if s.isSplitBrain { add("split-brain", .critical, 0, "SPLIT BRAIN: \(s.splitBrainPrimaries.joined(separator: " and ")) each claim primary") }
    if s.hasNoPrimary {
        let shards = s.shardsWithoutPrimary.filter { !$0.isEmpty }
        add("no-primary", .critical, 1, shards.isEmpty ? "no primary (term \(s.term))" : "no primary in shard \(shards.joined(separator: ", "))")
    }
    if let state = s.engine?.state, state != "ok" {
        add("engine-state", .critical, 1, "\(s.engine?.name ?? "engine") says the cluster is \(state)")
    }
    for line in (s.engine?.divergence ?? []).prefix(4) {
        add("divergence:\(line)", .critical, 2, "views diverge: \(line)")
    }
    // What one more failure would lose, in the engine's words.
    for line in m.engineRules.redundancyLost(in: s).prefix(8) {
        add("redundancy:\(line)", .critical, 2, "redundancy lost: \(line)")
    }
    // A member that was part of the cluster and is gone is an alarm until
    // it comes back or an operator acknowledges it (`a`): then it is
    // listed as information (a member removed for good must not keep a
    // wall degraded for weeks), until it comes back or is forgotten with
    // the departed.
    for n in s.orderedNodes {
        guard let gone = n.departure else { continue }
        let key = "member-lost:\(n.id)"
        let ago = formatDuration(now.millis(since: gone.at), .words)
        let severity: AlertSeverity = m.alertMemory[key]?.ack != nil ? .info : gone.reason == .shutdown ? .warning : .critical
        add(key, severity, 3, "member lost: \(n.id) \(gone.reason.wire.replacingUnderscores) \(ago) ago")
    }
    if !s.nodes.isEmpty && !s.quorum.present && m.engineRules.decidesByMajority {
        add("quorum", .critical, 2, "quorum lost: \(s.quorum.serviceable) of \(s.quorum.members) healthy, \(s.quorum.needed) needed")
    }
    for n in s.orderedNodes where n.isPresent && n.info.health == .unhealthy {
        add("unhealthy:\(n.id)", .critical, 3, "\(n.id) unhealthy\(n.consecutiveFailures > 0 ? " (\(n.consecutiveFailures) failed checks)" : "")")
    }
    for f in s.orderedFollowers {
        guard s.nodes[f.follower]?.isPresent ?? false else { continue }
        if !f.isConnected {
            let since = f.statusSince.map { now.millis(since: $0) } ?? 0
            if since > 60_000 { add("disconnected:\(f.follower)", .critical, 5, "\(f.follower) disconnected for \(formatDuration(since, .words))") }
        } else if f.unit == .counted {
            let unit = s.lagCountUnit
            let limits = t.countLimits(unit)
            if let b = f.lagBytes, b > limits.crit {
                add(
                    "lag:\(f.follower)", .critical, 4,
                    "\(f.follower) \(formatLagCount(b, unit: unit)) behind (critical > \(formatLagCount(limits.crit, unit: unit)))")
            } else if let b = f.lagBytes, b > limits.warn {
                add(
                    "lag:\(f.follower)", .warning, 6,
                    "\(f.follower) \(formatLagCount(b, unit: unit)) behind (warning > \(formatLagCount(limits.warn, unit: unit)))")
            }
            // The time beside the count, where the engine tells it.
            if let engine = s.nodes[f.follower]?.info.engine, engine.timeBehind == .measured, let ms = engine.timeBehindMillis,
                ms > t.lagWarnMillis
            {
                let critical = ms > t.lagCritMillis
                add(
                    "lag-time:\(f.follower)", critical ? .critical : .warning, critical ? 4 : 6,
                    "\(f.follower) \(formatDuration(ms, .compactMillis)) behind (\(critical ? "critical" : "warning") > \(formatDuration(critical ? t.lagCritMillis : t.lagWarnMillis, .compactMillis)))"
                )
            }
        } else if let lag = f.lagMillis, lag > t.lagCritMillis {
            add(
                "lag:\(f.follower)", .critical, 4,
                "\(f.follower) lag \(formatDuration(lag, .compactMillis)) (critical > \(formatDuration(t.lagCritMillis, .compactMillis)))")
        } else if let lag = f.lagMillis, lag > t.lagWarnMillis {
            add(
                "lag:\(f.follower)", .warning, 6,
                "\(f.follower) lag \(formatDuration(lag, .compactMillis)) (warning > \(formatDuration(t.lagWarnMillis, .compactMillis)))")
        }
    }
    for n in s.orderedNodes where n.isPresent && (n.info.health == .degraded || n.info.health == .suspect) {
        add("health:\(n.id)", .warning, 7, "\(n.id) \(n.info.health.wire)\(n.healthDetail.map { ": \($0)" } ?? "")")
    }
    for mig in s.orderedMigrations where !mig.info.state.isFinished {
        if let start = mig.info.startedAt, now.millis(since: start) > 300_000 {
            add(
                "stuck:\(mig.id)", .warning, 8,
                "migration \(mig.id) (\(mig.info.tenant)) running for \(formatDuration(now.millis(since: start), .words))")
        }
    }
    if let orphans = Optional(s.orphanedPartitions), orphans > 0 {
        add("orphans", .warning, 9, "\(orphans) partitions without a live owner")
    }
    if let dups = s.assignment?.duplicateIDs.count, dups > 0 { add("duplicates", .critical, 3, "\(dups) partitions assigned twice") }
    if let versions = disagreeingVersions(s), let since = m.versionsDisagreeSince, now.millis(since: since) > versionGraceMillis {
        let text = versions.keys.sorted().map { "v\($0): \(versions[$0]?.joined(separator: ",") ?? "")" }.joined(separator: "; ")
        add("versions", .warning, 9, "assignment versions disagree for \(formatDuration(now.millis(since: since), .words)): \(text)")
    }
    if s.isInhibited(at: now), let until = s.inhibitedUntil {
        add("inhibited", .info, 10, "failover inhibited for \(formatDuration(until.millis(since: now), .words)) more")
    }
    for (i, e) in m.endpoints.enumerated() {
        switch e.status {
        case .live(_, let last) where now.millis(since: last) > staleDataMillis:
            add("endpoint:\(i)", .warning, 11, "\(e.name) silent for \(formatDuration(now.millis(since: last), .words))")
        case .stale, .backingOff, .connecting:
            // Blind when no endpoint is live: that is critical, not a warning.
            add("endpoint:\(i)", m.liveEndpoints == 0 ? .critical : .warning, 11, "\(e.name) \(endpointExplanation(e.status, now: now))")
        case .unauthorized, .failed:
            add("endpoint:\(i)", .critical, 11, "\(e.name) \(endpointExplanation(e.status, now: now))")
        default:
            break
        }
        // What the source warns of behind a live connection (NATS: nobody
        // holds the publishing lease, so nothing new comes).
        if let w = e.stats?.warning { add("endpoint:\(i):warning", .warning, 11, w) }
    }
    // History this dashboard never received, for as long as the incident
    // view looks back (the log keeps the line).
    for lost in s.lostHistory.suffix(3) where now.millis(since: lost.to) < lostHistoryAlertMillis {
        add("history-lost:\(lost.from.millis)", .warning, 10, lost.sentence)
    }
    if let why = m.feed.lastResync, m.feed.resyncRequests > 0, let at = m.lastResyncAt, now.millis(since: at) < 60_000 {
        add("gap", .info, 12, "resynchronised: \(why)")
    }
    return out.sorted { a, b in a.severity != b.severity ? a.severity > b.severity : a.rank != b.rank ? a.rank < b.rank : a.key < b.key }
}

/// Refreshes the start times: a new alert starts now, a gone one is forgotten;
/// the incident starts with the first alert of warning or worse and ends when
/// none is left.
func refreshAlerts(_ m: inout AppModel) {
    // Alerts are tracked on the live state, even while the screen shows the past.
    var live = m
    live.rewind = nil
    if disagreeingVersions(live.state) == nil {
        m.versionsDisagreeSince = nil
    } else if m.versionsDisagreeSince == nil {
        m.versionsDisagreeSince = m.now
    }
    live.versionsDisagreeSince = m.versionsDisagreeSince
    let alerts = currentAlerts(live)
    var memory = m.alertMemory
    let now = m.now
    for a in alerts {
        if var kept = memory[a.key] {
            // Back after clearing within the window: the same alert, once more.
            if kept.clearedAt != nil {
                kept.flaps += 1
                kept.clearedAt = nil
                kept.since = now
            }
            kept.last = a
            memory[a.key] = kept
        } else {
            memory[a.key] = AlertMemory(since: now, firstSince: now, last: a)
        }
    }
    let present = Set(alerts.map(\.key))
    for (key, kept) in memory where !present.contains(key) && kept.clearedAt == nil { memory[key]?.clearedAt = now }
    // Forgotten once clear for the whole window; bounded.
    memory = memory.filter { $0.value.clearedAt.map { now.millis(since: $0) <= flapWindowMillis } ?? true }
    if memory.count > 512 {
        memory = memory.filter { $0.value.clearedAt == nil }
    }
    m.alertMemory = memory
    let serious = alerts.contains { $0.severity >= .warning }
    if serious, m.incidentStart == nil { m.incidentStart = m.now }
    if !serious { m.incidentStart = nil }
}

/// What the incident view lists: the alerts now, and the flapping ones
/// that are clear at the moment (dim, with their count) so a toggling
/// health or a lag around its threshold is one line, not a new alert each
/// time it comes back.
public func listedAlerts(_ m: AppModel) -> [Alert] {
    var out = currentAlerts(m)
    let present = Set(out.map(\.key))
    for (key, kept) in m.alertMemory.sorted(by: { $0.key < $1.key }) where !present.contains(key) && kept.flaps > 0 {
        var a = kept.last
        a.since = kept.since
        a.flaps = kept.flaps
        a.flappingSince = kept.firstSince
        a.clearedAt = kept.clearedAt
        a.ack = kept.ack
        out.append(a)
    }
    return out
}

/// `a`: every alert listed now is acknowledged by the person at the
/// console (kept while the alert lives, flaps included); one audited action.
func acknowledgeAlerts(_ m: inout AppModel) -> [Effect] {
    let listed = listedAlerts(m)
    let open = listed.filter { $0.ack == nil }
    guard !open.isEmpty else {
        m.say(listed.isEmpty ? "no alert to acknowledge" : "every alert is acknowledged already")
        return []
    }
    let ack = AlertAck(by: m.operatorName, at: m.now)
    for a in open { m.alertMemory[a.key]?.ack = ack }
    let action = OperatorAction(
        at: m.now, key: "a", target: open.map(\.key).joined(separator: ","), dialog: open.map { "\($0.severity.label) \($0.text)" },
        confirmation: "a", requestID: nil, op: "acknowledge")
    record(&m, action)
    m.say("\(open.count) alert\(open.count == 1 ? "" : "s") acknowledged by \(ack.by)")
    return [.audit(.action(action))]
}

/// The one word the wall shows.
public enum WallStatus: String, Sendable {
    case ok = "OK"
    case degraded = "DEGRADED"
    case failover = "FAILOVER"
    case splitBrain = "SPLIT BRAIN"
    case noPrimary = "NO PRIMARY"
    case disconnected = "DISCONNECTED"
}

public func wallStatus(_ m: AppModel) -> WallStatus {
    let s = m.state
    if !m.endpoints.isEmpty && m.liveEndpoints == 0 { return .disconnected }
    if let at = m.lastEventReceivedAt, m.now.millis(since: at) > staleDataMillis { return .disconnected }
    if s.isSplitBrain { return .splitBrain }
    if s.hasNoPrimary {
        // An election under way is a failover; none at all is no primary.
        return s.nodes.values.contains { $0.isPresent && $0.info.role == .candidate } ? .failover : .noPrimary
    }
    if let p = s.promotions.values.first(where: { $0.phase == .transferring }), p.finishedAt == nil { return .failover }
    if let last = s.log.last(where: { $0.kind.isLeadershipChange }),
        m.now.millis(since: last.at) < 60_000
    {
        return .failover
    }
    if currentAlerts(m).contains(where: { $0.severity >= .warning }) { return .degraded }
    return .ok
}
