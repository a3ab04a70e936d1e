import ClusterProtocol
import ClusterState
import DequeModule
import EventSources
import RenderCore

/// Everything that can happen to the dashboard.
public enum Msg: Sendable {
    case key(Key)
    case resize(Size)
    /// Time passed (the clock in the header, data age, message expiry).
    case tick(Timestamp)
    /// Events arrived, with every endpoint's status.
    case batch(Batch, [EndpointView], at: Timestamp)
    /// A command could not be sent (no live endpoint).
    case sendFailed(requestID: String)
    /// What came of an effect the runtime performed.
    case effectResult(EffectResult)
}

/// The results of effects, which come back as messages: the runtime never
/// writes the model itself.
public enum EffectResult: Sendable, Hashable {
    case bundleWritten(path: String)
    case bundleFailed(reason: String)
    /// The replay's badge after a control or as it plays ("REPLAY 2x", "REPLAY paused").
    case replayStatus(String)
    /// The audit log could not be written: an audit trail must not fail silently.
    case auditFailed(reason: String)
    case themeFailed(name: String, reason: String)
}

/// What the runtime must do: `update` never does I/O itself.
public enum Effect: Sendable, Hashable {
    case send(ClientOp)
    case requestSnapshot(endpoint: Int)
    case quit
    case selectTheme(String)
    /// Write an incident bundle (incident.md + events.jsonl) into a new folder.
    case exportBundle
    /// Append to the audit log.
    case audit(AuditRecord)
    /// Drive the replay: pause, speed, step.
    case replay(ReplayControl)
}

public enum ReplayControl: Sendable, Hashable {
    case togglePause, faster, slower, step
}

/// One line of `audit.jsonl`.
public enum AuditRecord: Sendable, Hashable {
    case action(OperatorAction)
    case result(requestID: String, op: String?, status: String, reason: String?, at: Timestamp)
}

/// The one place the model changes. Pure: same model and message, same result.
public func update(_ m: inout AppModel, _ msg: Msg) -> [Effect] {
    switch msg {
    case .tick(let now):
        m.now = now
        if let until = m.messageUntil, now >= until {
            m.message = nil
            m.messageUntil = nil
        }
        refreshAlerts(&m)
        return []
    case .resize(let size):
        m.size = size
        return []
    case .sendFailed(let id):
        m.say("not sent (\(id)): no live endpoint")
        return []
    case .effectResult(let result):
        switch result {
        case .bundleWritten(let path): m.say("bundle written to \(path)", seconds: 30)
        case .bundleFailed(let reason): m.say("bundle failed: \(reason)", seconds: 10)
        case .replayStatus(let badge): m.replayBadge = badge
        case .auditFailed(let reason): m.say("AUDIT LOG NOT WRITTEN: \(reason)", seconds: 60)
        case .themeFailed(let name, let reason): m.say("theme \(name): \(reason)", seconds: 10)
        }
        return []
    case .batch(let batch, let endpoints, let now):
        m.now = now
        m.endpoints = endpoints
        if !batch.items.isEmpty { m.lastEventReceivedAt = batch.items.last?.receivedAt ?? now }
        m.rateWindow.append((now, batch.items.count))
        while let first = m.rateWindow.first, now.millis(since: first.0) > 5_000 { m.rateWindow.removeFirst() }
        if let first = m.rateWindow.first {
            let span = max(1_000, now.millis(since: first.0))
            m.eventsPerSecond = Double(m.rateWindow.dropFirst().reduce(0) { $0 + $1.1 }) * 1000 / Double(span)
        }
        // Keep the recent past for rewind and incident bundles: what the
        // state took, duplicates left out (bounded; trimmed in chunks). Moved
        // out and back so the appends happen in place.
        var recent: Deque<Envelope> = []
        swap(&recent, &m.recent)
        let requests = m.feed.apply(batch, endpoints: endpoints.count, now: now) { recent.append($0) }
        swap(&recent, &m.recent)
        if !requests.isEmpty { m.lastResyncAt = now }
        if let name = m.state.clusterName { m.clusterLabel = m.clusterLabel ?? name }
        if m.recent.count > m.recentCapacity + m.recentCapacity / 4 {
            let drop = m.recent.count - m.recentCapacity
            // The history holds no duplicates, so the base skips that check.
            for e in m.recent.prefix(drop) { m.recentBase.apply(e, checkingDuplicates: false) }
            m.recent.removeFirst(drop)
            if var r = m.rewind {
                r.index = max(0, r.index - drop)
                m.rewind = r
            }
        }
        var effects: [Effect] = requests.map { .requestSnapshot(endpoint: $0) }
        // The result of an operator's command goes to the audit log too.
        for r in batch.items {
            if case .commandResult(let res) = r.envelope.event, let id = res.requestID,
                m.operatorActions.contains(where: { $0.requestID == id })
            {
                effects.append(.audit(.result(requestID: id, op: res.op, status: res.status.wire, reason: res.reason, at: now)))
            }
        }
        refreshAlerts(&m)
        if m.wall { m.view = m.incidentStart == nil ? .dashboard : .incident }
        return effects
    case .key(let key):
        return handleKey(&m, key)
    }
}

func handleKey(_ m: inout AppModel, _ key: Key) -> [Effect] {
    // The wall has one key, q (none with --no-quit-key).
    if m.wall {
        return !m.noQuitKey && (key == .char("q") || key == .ctrl("c")) ? [.quit] : []
    }
    // Typing into a filter or the promotion override takes the key first.
    if m.editingFilter, m.overlay == nil {
        switch key {
        case .enter: m.editingFilter = false
        case .escape:
            m.editingFilter = false
            m.logFilter = ""
        case .backspace: if !m.logFilter.isEmpty { m.logFilter.removeLast() }
        case .char(let c): m.logFilter.append(c)
        default: break
        }
        m.logScroll = 0
        return []
    }
    if case .partitions(let scroll, var filter, true) = m.overlay {
        switch key {
        case .enter: m.overlay = .partitions(scroll: 0, filter: filter, editing: false)
        case .escape: m.overlay = .partitions(scroll: 0, filter: "", editing: false)
        case .backspace:
            if !filter.isEmpty { filter.removeLast() }
            m.overlay = .partitions(scroll: scroll, filter: filter, editing: true)
        case .char(let c):
            filter.append(c)
            m.overlay = .partitions(scroll: 0, filter: filter, editing: true)
        default: break
        }
        return []
    }
    if case .promote(var d) = m.overlay, d.requestID == nil, let cand = d.candidates[safe: d.selected],
        !m.state.promotionPreview(candidate: cand, now: m.now, lagLimitMillis: m.thresholds.promotionLagLimitMillis).allowed
    {
        // Failing checks: the user must type the node's name to send anyway.
        switch key {
        // With nothing typed yet, y j k keep their meaning (y explains why it
        // does not send); anything else starts the name.
        case .char(let c) where !d.typed.isEmpty || !["y", "j", "k"].contains(c):
            d.typed.append(c)
            m.overlay = .promote(d)
            return []
        case .backspace:
            if !d.typed.isEmpty { d.typed.removeLast() }
            m.overlay = .promote(d)
            return []
        case .enter:
            guard d.typed == cand else {
                m.say("type \(cand) exactly to send despite the failing checks")
                return []
            }
            return sendPromotion(&m, &d, cand)
        default:
            break
        }
    }
    guard let action = m.keymap.action(for: key, in: m.context) else { return [] }
    return perform(&m, action)
}

func perform(_ m: inout AppModel, _ action: Action) -> [Effect] {
    switch m.overlay {
    case .help(let scroll):
        switch action {
        case .dismiss: m.overlay = nil
        case .down: m.overlay = .help(scroll: scroll + 1)
        case .up: m.overlay = .help(scroll: max(0, scroll - 1))
        case .top: m.overlay = .help(scroll: 0)
        case .pageDown: m.overlay = .help(scroll: scroll + 10)
        case .pageUp: m.overlay = .help(scroll: max(0, scroll - 10))
        default: break
        }
        return []
    case .partitions(let scroll, let filter, _):
        let count = partitionRows(m, filter: filter).count
        switch action {
        case .dismiss: m.overlay = nil
        case .down: m.overlay = .partitions(scroll: min(max(0, count - 1), scroll + 1), filter: filter, editing: false)
        case .up: m.overlay = .partitions(scroll: max(0, scroll - 1), filter: filter, editing: false)
        case .top: m.overlay = .partitions(scroll: 0, filter: filter, editing: false)
        case .bottom: m.overlay = .partitions(scroll: max(0, count - 1), filter: filter, editing: false)
        case .pageDown: m.overlay = .partitions(scroll: min(max(0, count - 1), scroll + 20), filter: filter, editing: false)
        case .pageUp: m.overlay = .partitions(scroll: max(0, scroll - 20), filter: filter, editing: false)
        case .filter: m.overlay = .partitions(scroll: 0, filter: filter, editing: true)
        default: break
        }
        return []
    case .promote(var d):
        switch action {
        case .dismiss: m.overlay = nil
        case .down where d.requestID == nil:
            d.selected = min(max(0, d.candidates.count - 1), d.selected + 1)
            d.typed = ""
            m.overlay = .promote(d)
        case .up where d.requestID == nil:
            d.selected = max(0, d.selected - 1)
            d.typed = ""
            m.overlay = .promote(d)
        case .confirm where d.requestID == nil:
            guard let cand = d.candidates[safe: d.selected] else { return [] }
            let verdict = m.state.promotionPreview(candidate: cand, now: m.now, lagLimitMillis: m.thresholds.promotionLagLimitMillis)
            guard verdict.allowed else {
                m.say("checks fail: type \(cand) and Enter to send anyway")
                return []
            }
            return sendPromotion(&m, &d, cand)
        default: break
        }
        return []
    case .migrate(var d):
        switch action {
        case .dismiss: m.overlay = nil
        case .down:
            if d.step == .tenant { d.tenantIndex = min(max(0, d.tenants.count - 1), d.tenantIndex + 1) }
            if d.step == .region { d.regionIndex = min(max(0, d.regions.count - 1), d.regionIndex + 1) }
            m.overlay = .migrate(d)
        case .up:
            if d.step == .tenant { d.tenantIndex = max(0, d.tenantIndex - 1) }
            if d.step == .region { d.regionIndex = max(0, d.regionIndex - 1) }
            m.overlay = .migrate(d)
        case .nextField:
            switch d.step {
            case .tenant where !d.tenants.isEmpty: d.step = .region
            case .region where !d.regions.isEmpty: d.step = .confirm
            default: break
            }
            m.overlay = .migrate(d)
        case .toggleDryRun:
            d.dryRun.toggle()
            m.overlay = .migrate(d)
        case .confirm where d.step == .confirm && d.requestID == nil:
            guard let tenant = d.tenants[safe: d.tenantIndex], let region = d.regions[safe: d.regionIndex] else { return [] }
            let id = m.nextRequestID()
            d.requestID = id
            m.overlay = .migrate(d)
            m.say("migrate \(tenant) -> \(region)\(d.dryRun ? " (dry run)" : "") sent as \(id)")
            let action = OperatorAction(
                at: m.now, key: "m", target: tenant,
                dialog: ["tenant \(tenant)", "from \(m.state.tenants[tenant] ?? "?")", "to \(region)", "dry run \(d.dryRun ? "yes" : "no")"],
                confirmation: "y", requestID: id, op: "migrate")
            record(&m, action)
            return [.send(.migrate(requestID: id, tenant: tenant, target: region, dryRun: d.dryRun)), .audit(.action(action))]
        default: break
        }
        return []
    case .cancel(var d):
        switch action {
        case .dismiss: m.overlay = nil
        case .confirm where d.requestID == nil:
            let id = m.nextRequestID()
            d.requestID = id
            m.overlay = .cancel(d)
            let action = OperatorAction(
                at: m.now, key: "c", target: d.migrationID, dialog: ["cancel \(d.migrationID) (\(d.tenant))"], confirmation: "y",
                requestID: id, op: "cancel_migration")
            record(&m, action)
            return [.send(.cancelMigration(requestID: id, migrationID: d.migrationID)), .audit(.action(action))]
        default: break
        }
        return []
    case nil:
        return performNormal(&m, action)
    }
}

func sendPromotion(_ m: inout AppModel, _ d: inout PromoteDialog, _ candidate: String) -> [Effect] {
    let id = m.nextRequestID()
    let verdict = m.state.promotionPreview(candidate: candidate, now: m.now, lagLimitMillis: m.thresholds.promotionLagLimitMillis)
    let dialog = verdict.checks.map { "\($0.ok ? "ok" : "FAIL") \($0.invariant.wire): \($0.detail ?? "")" }
    let action = OperatorAction(
        at: m.now, key: "p", target: candidate, dialog: dialog,
        confirmation: verdict.allowed ? "y" : "typed \(d.typed) despite failing checks", requestID: id, op: "promote")
    d.requestID = id
    d.sentCandidate = candidate
    m.overlay = .promote(d)
    m.say("promote \(candidate) sent as \(id)")
    record(&m, action)
    return [.send(.promote(requestID: id, node: candidate)), .audit(.action(action))]
}

func record(_ m: inout AppModel, _ action: OperatorAction) {
    m.operatorActions.append(action)
    if m.operatorActions.count > 1_000 { m.operatorActions.removeFirst(m.operatorActions.count - 1_000) }
}

func rowCount(_ m: AppModel, _ pane: Pane) -> Int {
    switch pane {
    case .nodes: m.state.nodeIDs.count
    case .replication: m.state.followers.count
    case .assignments: m.state.assignment?.sortedWorkers.count ?? 0
    case .migrations: m.state.migrations.count
    case .log: m.visibleLog.count
    }
}

func performNormal(_ m: inout AppModel, _ action: Action) -> [Effect] {
    if m.readOnly, [.promote, .migrate, .cancelMigration].contains(action) {
        m.say("read-only: commands are disabled")
        return []
    }
    if m.rewind != nil, [.promote, .migrate, .cancelMigration].contains(action) {
        m.say("looking at the past: Esc returns to live first")
        return []
    }
    let pane = m.focus
    let count = rowCount(m, pane)
    func setRow(_ r: Int) { m.rows[pane] = max(0, min(max(0, count - 1), r)) }
    switch action {
    case .quit:
        return [.quit]
    case .help:
        m.overlay = .help(scroll: 0)
    case .focusNext:
        m.focus = Pane(rawValue: (pane.rawValue + 1) % Pane.allCases.count) ?? .nodes
    case .focusPrevious:
        m.focus = Pane(rawValue: (pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count) ?? .nodes
    case .down:
        if pane == .log { m.logScroll = max(0, m.logScroll - 1) } else { setRow(m.row(pane) + 1) }
    case .up:
        if pane == .log { m.logScroll = min(max(0, count - 1), m.logScroll + 1) } else { setRow(m.row(pane) - 1) }
    case .top:
        if pane == .log { m.logScroll = max(0, count - 1) } else { setRow(0) }
    case .bottom:
        if pane == .log { m.logScroll = 0 } else { setRow(count - 1) }
    case .pageDown:
        if pane == .log { m.logScroll = max(0, m.logScroll - 10) } else { setRow(m.row(pane) + 10) }
    case .pageUp:
        if pane == .log { m.logScroll = min(max(0, count - 1), m.logScroll + 10) } else { setRow(m.row(pane) - 10) }
    case .drill:
        if pane == .assignments {
            if m.state.assignment == nil { m.say("no assignment yet") } else { m.overlay = .partitions(scroll: 0, filter: "", editing: false) }
        } else if pane == .nodes, let node = m.nodeRows[safe: m.row(.nodes)] {
            m.logFilter = node.id
            m.focus = .log
            m.logScroll = 0
            m.say("log filtered to \(node.id); Esc clears")
        }
    case .back:
        if m.rewind != nil {
            m.rewind = nil
            m.say("live")
        } else if m.view == .incident {
            m.view = .dashboard
        } else if !m.logFilter.isEmpty {
            m.logFilter = ""
            m.say("filter cleared")
        }
    case .rewindBack, .rewindForward, .rewindBackMinute, .rewindForwardMinute:
        rewind(&m, action)
    case .replayPause, .replayFaster, .replaySlower, .replayStep:
        guard m.replay else {
            m.say("only when replaying a recording (clusterdash replay FILE)")
            return []
        }
        switch action {
        case .replayPause: return [.replay(.togglePause)]
        case .replayFaster: return [.replay(.faster)]
        case .replaySlower: return [.replay(.slower)]
        default: return [.replay(.step)]
        }
    case .incidentView:
        m.view = m.view == .incident ? .dashboard : .incident
    case .exportBundle:
        guard m.view == .incident else {
            m.say("e exports from the incident view (i)")
            return []
        }
        return [.exportBundle]
    case .filter:
        m.focus = .log
        m.editingFilter = true
        m.logScroll = 0
    case .promote:
        let candidates = m.promotionCandidates
        guard !candidates.isEmpty else {
            m.say("no replica to promote")
            return []
        }
        // Start on the selected node when it is a candidate, else the first that passes.
        var selected = 0
        if pane == .nodes, let node = m.nodeRows[safe: m.row(.nodes)], let i = candidates.firstIndex(of: node.id) {
            selected = i
        } else if let i = candidates.firstIndex(where: { m.state.promotionPreview(candidate: $0, now: m.now).allowed }) {
            selected = i
        }
        m.overlay = .promote(PromoteDialog(candidates: candidates, selected: selected))
    case .migrate:
        let tenants = m.state.tenants.keys.sorted(by: naturalLess)
        guard !tenants.isEmpty else {
            m.say("no tenants known")
            return []
        }
        var regions = Set(m.state.tenants.values)
        for n in m.state.nodes.values { if let r = n.info.region { regions.insert(r) } }
        m.overlay = .migrate(MigrateDialog(tenants: tenants, regions: regions.sorted()))
    case .cancelMigration:
        let running = m.state.orderedMigrations
        guard pane == .migrations, let mig = running[safe: m.row(.migrations)] else {
            m.say("select a migration in the Migrations pane first")
            return []
        }
        guard !mig.info.state.isFinished else {
            m.say("\(mig.id) already \(mig.info.state.wire)")
            return []
        }
        m.overlay = .cancel(CancelDialog(migrationID: mig.id, tenant: mig.info.tenant))
    case .snapshot:
        m.say("snapshot requested")
        return m.endpoints.indices.map { .requestSnapshot(endpoint: $0) }
    case .nextTheme:
        m.themeIndex = (m.themeIndex + 1) % max(1, m.themes.count)
        m.say("theme: \(m.themeName)")
        return [.selectTheme(m.themeName)]
    default:
        break
    }
    return []
}

/// Partition rows of the drill-down, filtered by partition id or worker.
func partitionRows(_ m: AppModel, filter: String) -> [PartitionAssignment] {
    guard let a = m.state.assignment else { return [] }
    guard !filter.isEmpty else { return a.partitions }
    let needle = filter.lowercased()
    return a.partitions.filter { String($0.id) == needle || ($0.worker ?? "unassigned").lowercased().contains(needle) }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// Steps through the recent past: by event, or by a minute.
func rewind(_ m: inout AppModel, _ action: Action) {
    guard !m.recent.isEmpty else {
        m.say("no history yet")
        return
    }
    let last = m.recent.count - 1
    let current = m.rewind?.index ?? last
    var target = current
    switch action {
    case .rewindBack: target = current - 1
    case .rewindForward: target = current + 1
    case .rewindBackMinute:
        let t = m.recent[current].timestamp.adding(millis: -60_000)
        target = m.recent.lastIndex { $0.timestamp <= t } ?? 0
    default:
        let t = m.recent[current].timestamp.adding(millis: 60_000)
        target = m.recent.lastIndex { $0.timestamp <= t } ?? last
    }
    target = max(0, min(last, target))
    if target >= last && action != .rewindBack && action != .rewindBackMinute {
        m.rewind = nil
        m.say("live")
        return
    }
    m.rewind = Rewind(index: target, at: m.recent[target].timestamp, state: stateAfter(m, index: target))
}

/// The reducer over the recent past up to and including `recent[index]`.
public func stateAfter(_ m: AppModel, index: Int) -> ClusterState {
    var s = m.recentBase
    for e in m.recent.prefix(index + 1) { s.apply(e, checkingDuplicates: false) }
    return s
}
