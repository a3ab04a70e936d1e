import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The panes, in focus order; the titles are what tests look for.
public enum Pane: Int, Sendable, Hashable, CaseIterable {
    case nodes, replication, assignments, migrations, log

    public var title: String {
        switch self {
        case .nodes: "Nodes"
        case .replication: "Replication"
        case .assignments: "Assignments"
        case .migrations: "Migrations"
        case .log: "Failover log"
        }
    }
}

/// Lag thresholds (domain defaults: warn above 30 s, critical above 60 s).
public struct Thresholds: Sendable, Hashable {
    public var lagWarnMillis: Int64 = 30_000
    public var lagCritMillis: Int64 = 60_000
    public var promotionLagLimitMillis: Int64 = PromotionValidator.defaultLagLimitMillis

    public init() {}
}

/// The promotion dialog.
public struct PromoteDialog: Sendable, Hashable {
    public var candidates: [String]
    public var selected: Int
    /// What the user typed to send despite failing checks.
    public var typed: String = ""
    public var requestID: String?
    public var sentCandidate: String?
}

/// The migration dialog: tenant, then target region, then confirm.
public struct MigrateDialog: Sendable, Hashable {
    public enum Step: Sendable, Hashable { case tenant, region, confirm }
    public var tenants: [String]
    public var regions: [String]
    public var tenantIndex = 0
    public var regionIndex = 0
    public var step: Step = .tenant
    public var dryRun = false
    public var requestID: String?
}

/// Confirming the cancellation of a migration.
public struct CancelDialog: Sendable, Hashable {
    public var migrationID: String
    public var tenant: String
    public var requestID: String?

    public init(migrationID: String, tenant: String, requestID: String? = nil) {
        self.migrationID = migrationID
        self.tenant = tenant
        self.requestID = requestID
    }
}

/// What covers the dashboard, if anything.
public enum Overlay: Sendable, Hashable {
    case help(scroll: Int)
    case partitions(scroll: Int, filter: String, editing: Bool)
    case promote(PromoteDialog)
    case migrate(MigrateDialog)
    case cancel(CancelDialog)

    public var context: KeyContext {
        switch self {
        case .help, .partitions: .overlay
        case .promote, .migrate, .cancel: .dialog
        }
    }
}

/// One endpoint as the header and status show it.
public struct EndpointView: Sendable, Hashable {
    public var name: String
    public var status: EndpointStatus

    public init(name: String, status: EndpointStatus) {
        self.name = name
        self.status = status
    }
}

/// The whole dashboard: the cluster as known, plus what the user is doing.
public struct AppModel: Sendable {
    public var feed: Feed
    public var now: Timestamp
    public var size = Size(width: 80, height: 24)
    public var focus: Pane = .nodes
    public var rows: [Pane: Int] = [:]
    /// Lines scrolled back in the log; 0 follows the newest.
    public var logScroll = 0
    public var logFilter = ""
    public var editingFilter = false
    public var overlay: Overlay?
    public var endpoints: [EndpointView] = []
    public var modeBadge = "INTERACTIVE"
    /// Read-only: command keys answer "read-only" and nothing is ever sent.
    public var readOnly = false
    public var themes: [String] = ["default"]
    public var themeIndex = 0
    public var thresholds = Thresholds()
    public var keymap = Keymap()
    /// A one-line message in the status bar, until `messageUntil`.
    public var message: String?
    public var messageUntil: Timestamp?
    /// Events per second, measured over the last few seconds.
    public var eventsPerSecond: Double = 0
    var rateWindow: [(Timestamp, Int)] = []
    public var requestCounter = 0
    /// Who sends commands (shown in the promotion log as `requested_by`).
    public var operatorName = "operator"
    /// When the last event arrived (data age).
    public var lastEventReceivedAt: Timestamp?
    public var clusterLabel: String?

    public init(feed: Feed = Feed(), now: Timestamp) {
        self.feed = feed
        self.now = now
    }

    public var state: ClusterState { feed.state }
    public var themeName: String { themes.isEmpty ? "default" : themes[themeIndex % themes.count] }

    /// The context the keymap is read in.
    public var context: KeyContext { overlay?.context ?? .normal }

    public func row(_ pane: Pane) -> Int { rows[pane] ?? 0 }

    /// Present replicas, in the nodes pane's order: who can be promoted.
    public var promotionCandidates: [String] {
        state.orderedNodes.filter { $0.isPresent && $0.info.role == .replica }.map(\.id)
    }

    /// Node ids in the nodes pane's order.
    public var nodeRows: [NodeRecord] { state.orderedNodes }

    /// The failover log after the filter.
    public var visibleLog: [LogEntry] {
        guard !logFilter.isEmpty else { return Array(state.log) }
        let needle = logFilter.lowercased()
        return state.log.filter { $0.text.lowercased().contains(needle) || $0.source.lowercased().contains(needle) || $0.type.contains(needle) }
    }

    /// Rows of the assignments worker table.
    public var workerRows: [(String, WorkerLoad)] {
        guard let a = state.assignment else { return [] }
        return a.workers.sorted { naturalLess($0.key, $1.key) }.map { ($0.key, $0.value) }
    }

    public var liveEndpoints: Int { endpoints.filter(\.status.isLive).count }

    mutating func say(_ text: String, seconds: Int64 = 5) {
        message = text
        messageUntil = now.adding(millis: seconds * 1000)
    }

    mutating func nextRequestID() -> String {
        requestCounter += 1
        return "cd-\(now.millis % 100_000)-\(requestCounter)"
    }
}
