import ClusterProtocol
import ClusterState

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

/// The state after `recent[index]`: the kept base plus the recent past up to
/// it. The one "state at a time" rule: rewind and incident bundles use it.
public func stateAfter(_ m: AppModel, index: Int) -> ClusterState {
    var s = m.recentBase
    for e in m.recent.prefix(index + 1) { s.apply(e, checkingDuplicates: false) }
    return s
}

/// The state as of `t` (`stateAfter` the last envelope at or before `t`).
public func stateAt(_ t: Timestamp, _ m: AppModel) -> ClusterState {
    guard let index = m.recent.lastIndex(where: { $0.timestamp <= t }) else { return m.recentBase }
    return stateAfter(m, index: index)
}
