import ClusterProtocol
import DequeModule

/// One tenant migration with its history.
public struct MigrationRecord: Sendable, Hashable {
    public var info: MigrationInfo
    /// Each phase entered, with when.
    public var phases: [PhaseMark] = []
    public var writePauseStartedAt: Timestamp?
    public var writePauseEndedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var durationMillis: Int64?
    public var failureReason: String?
    public var cancelledBy: String?
    /// First and newest drain progress, for the drain rate.
    public var firstDrain: DrainMark?
    public var lastDrain: DrainMark?
    public var lastUpdate: Timestamp?

    public struct PhaseMark: Sendable, Hashable {
        public var phase: MigrationPhase
        public var at: Timestamp
    }

    public struct DrainMark: Sendable, Hashable {
        public var at: Timestamp
        public var drained: Int64
    }

    public init(info: MigrationInfo) {
        self.info = info
    }

    public var id: String { info.migrationID }

    /// Fraction done, 0...1 (by drained entries).
    public var fraction: Double {
        guard info.totalEntries > 0 else { return info.state == .completed ? 1 : 0 }
        return min(1, max(0, Double(info.drainedEntries) / Double(info.totalEntries)))
    }

    /// Entries drained per second since draining began; nil before two samples.
    public var drainRatePerSecond: Double? {
        guard let a = firstDrain, let b = lastDrain, b.at > a.at, b.drained >= a.drained else { return nil }
        return Double(b.drained.saturatingSubtract(a.drained)) * 1000 / Double(b.at.millis(since: a.at))
    }

    /// Estimated milliseconds until drained, from the drain rate.
    public var etaMillis: Int64? {
        guard let rate = drainRatePerSecond, rate > 0, info.totalEntries >= info.drainedEntries else { return nil }
        let seconds = Double(info.totalEntries.saturatingSubtract(info.drainedEntries)) / rate
        guard seconds.isFinite, seconds < 1e9 else { return nil }
        return Int64(seconds * 1000)
    }

    mutating func enter(_ phase: MigrationPhase, at t: Timestamp) {
        if phases.last?.phase != phase { phases.append(PhaseMark(phase: phase, at: t)) }
        if phase.writesPaused, writePauseStartedAt == nil { writePauseStartedAt = t }
        if !phase.writesPaused, writePauseStartedAt != nil, writePauseEndedAt == nil { writePauseEndedAt = t }
    }
}

/// Where a promotion request stands (domain.md section 2).
public enum PromotionPhase: String, Sendable, Hashable {
    case requested, validating, denied, rejected, transferring, completed
}

/// One promotion, from request to end, gathered by its correlation id.
public struct PromotionRecord: Sendable, Hashable {
    public var requestID: String
    public var candidate: String
    public var requestedBy: String?
    public var requestedAt: Timestamp?
    public var phase: PromotionPhase = .requested
    public var checks: [ValidationCheck] = []
    public var denials: [DenialReason] = []
    public var oldPrimary: String?
    public var newPrimary: String?
    public var term: Int64?
    public var rejection: String?
    public var finishedAt: Timestamp?

    public init(requestID: String, candidate: String) {
        self.requestID = requestID
        self.candidate = candidate
    }

}

/// How loud a log line is.
public enum LogSeverity: Int, Sendable, Hashable, Comparable {
    case info, notice, warning, critical

    public static func < (a: LogSeverity, b: LogSeverity) -> Bool { a.rawValue < b.rawValue }
}

/// One line of the failover log: what happened, as facts (the dashboard
/// words it: `LogEntry.text`).
public struct LogEntry: Sendable, Hashable {
    public var at: Timestamp
    public var source: String
    /// What it is about (typed; never compare the wire type string).
    public var kind: LogKind
    public var severity: LogSeverity
    /// What happened, as facts; the dashboard makes the sentence.
    public var facts: LogFacts
    public var correlationID: String?

    public init(at: Timestamp, source: String, kind: LogKind, severity: LogSeverity, facts: LogFacts, correlationID: String?) {
        self.at = at
        self.source = source
        self.kind = kind
        self.severity = severity
        self.facts = facts
        self.correlationID = correlationID
    }
}
