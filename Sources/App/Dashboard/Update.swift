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
    /// Ask the endpoint of that name (as the header shows it) for a snapshot.
    case requestSnapshot(endpoint: String)
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
    defer { refreshLogMatches(&m) }
    switch msg {
    case .tick(let now):
        m.now = now
        // The rate falls to 0 within 5 s of the last event, not frozen at the last burst's.
        refreshRate(&m, now: now)
        if let until = m.messageUntil, now >= until {
            m.message = nil
            m.messageUntil = nil
        }
        refreshAlerts(&m)
        // A snapshot held back by the resync interval is asked for once it
        // passes, even when no more events come.
        let requests = m.feed.due(now: now)
        if !requests.isEmpty { m.lastResyncAt = now }
        return requests.compactMap { i in m.endpoints[safe: i].map { .requestSnapshot(endpoint: $0.name) } }
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
        refreshRate(&m, now: now)
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
        var effects: [Effect] = requests.compactMap { i in endpoints[safe: i].map { .requestSnapshot(endpoint: $0.name) } }
        // The result of an operator's command goes to the audit log too.
        var sawResult = false
        for r in batch.items {
            guard case .commandResult(let res) = r.envelope.event else { continue }
            sawResult = true
            if let id = res.requestID, m.operatorActions.contains(where: { $0.requestID == id }) {
                effects.append(.audit(.result(requestID: id, op: res.op, status: res.status.wire, reason: res.reason, at: now)))
            }
        }
        // A dialog waiting for its command's result moves on when it comes.
        if sawResult, let overlay = m.overlay {
            let results = m.state.commandResults
            m.overlay = overlay.answering { results[$0] }
        }
        refreshAlerts(&m)
        if m.wall { m.view = m.incidentStart == nil ? .dashboard : .incident }
        return effects
    case .key(let key):
        return handleKey(&m, key)
    }
}

/// Events per second over the last 5 s of batches (a batch's count is
/// spread over the time since the window's first batch).
func refreshRate(_ m: inout AppModel, now: Timestamp) {
    while let first = m.rateWindow.first, now.millis(since: first.0) > 5_000 { m.rateWindow.removeFirst() }
    guard let first = m.rateWindow.first else {
        m.eventsPerSecond = 0
        return
    }
    let span = max(1_000, now.millis(since: first.0))
    m.eventsPerSecond = Double(m.rateWindow.dropFirst().reduce(0) { $0 + $1.1 }) * 1000 / Double(span)
}
