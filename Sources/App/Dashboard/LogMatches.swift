import ClusterState
import DequeModule

/// Which failover-log entries the filter (`/`) matches. A sentence is made
/// from its facts when the entry arrives or the filter changes, never per
/// frame: `update` brings this up to date after every message, looking only
/// at entries appended since the last time.
public struct LogMatches: Sendable, Hashable {
    /// The filter these matches are for.
    private(set) var filter = ""
    /// The rewind position they were made for (nil: live).
    private(set) var rewindIndex: Int?
    /// `logAppended` of the state when last brought up to date.
    private(set) var appended = 0
    /// The matching entries by number (the n-th entry ever appended is n,
    /// from 0), oldest first; bounded by the log's capacity.
    private(set) var numbers: Deque<Int> = []

    public init() {}

    func isCurrent(for m: AppModel) -> Bool {
        filter == m.logFilter && rewindIndex == m.rewind?.index && appended == m.state.logAppended
    }

    /// Brings the matches up to date with `m`'s state and filter.
    mutating func refresh(_ m: AppModel) {
        guard !m.logFilter.isEmpty else {
            if !numbers.isEmpty || !filter.isEmpty { self = LogMatches() }
            return
        }
        let state = m.state
        let log = state.log
        let first = state.logAppended - log.count
        if filter != m.logFilter || rewindIndex != m.rewind?.index || appended > state.logAppended {
            self = LogMatches()
            filter = m.logFilter
            rewindIndex = m.rewind?.index
        }
        let needle = filter.lowercased()
        for n in max(appended, first)..<state.logAppended where Self.matches(log[log.startIndex + (n - first)], needle) {
            numbers.append(n)
        }
        while let oldest = numbers.first, oldest < first { numbers.removeFirst() }
        appended = state.logAppended
    }

    static func matches(_ e: LogEntry, _ needle: String) -> Bool {
        e.kind.searchName.contains(needle) || e.source.lowercased().contains(needle) || e.text.lowercased().contains(needle)
    }
}

/// Keeps the log filter's matches current after a message.
func refreshLogMatches(_ m: inout AppModel) {
    guard !m.logFilter.isEmpty || !m.logMatches.numbers.isEmpty else { return }
    // Moved out and back, so the appends happen in place (no copy of the list).
    var matches = LogMatches()
    swap(&matches, &m.logMatches)
    matches.refresh(m)
    m.logMatches = matches
}
