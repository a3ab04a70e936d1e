import ClusterProtocol
import ClusterState
import DequeModule
import EngineRegistry
import EventSources
import RenderCore

/// Lag thresholds (domain defaults: warn above 30 s, critical above 60 s).
public struct Thresholds: Sendable, Hashable {
    public var lagWarnMillis: Int64 = 30_000
    public var lagCritMillis: Int64 = 60_000
    public var promotionLagLimitMillis: Int64 = PromotionValidator.defaultLagLimitMillis
    /// For engines that measure data behind: bytes.
    public var lagWarnBytes: Int64 = 1 << 20
    public var lagCritBytes: Int64 = 16 << 20
    /// Nil: the cluster's own `maximum_lag_on_failover`.
    public var promotionLagLimitBytes: Int64?
    /// For engines that count what is behind in anything but bytes:
    /// transactions (MySQL's GTID gap), raft entries (etcd).
    public var lagWarnTransactions: Int64 = 100
    public var lagCritTransactions: Int64 = 10_000
    /// Nil: the engine's default.
    public var promotionLagLimitTransactions: Int64?

    public init() {}

    /// The warning and critical limits of a lag counted in `unit`.
    public func countLimits(_ unit: String) -> (warn: Int64, crit: Int64) {
        unit == "bytes" ? (lagWarnBytes, lagCritBytes) : (lagWarnTransactions, lagCritTransactions)
    }
}

/// What covers the dashboard, if anything.
public enum Overlay: Sendable, Hashable {
    case help(scroll: Int)
    /// Every endpoint with its status and counters.
    case endpoints
    case partitions(PartitionsOverlay)
    case promote(PromoteDialog)
    case migrate(MigrateDialog)
    case cancel(CancelDialog)
    case stepDown(StepDownDialog)

    public var context: KeyContext {
        switch self {
        case .help, .partitions, .endpoints: .overlay
        case .promote, .migrate, .cancel, .stepDown: .dialog
        }
    }
}

/// Looking at the past: the state after `recent[index]`.
public struct Rewind: Sendable {
    public var index: Int
    public var at: Timestamp
    public var state: ClusterState
}

/// The two screens of a dashboard: the panes, and the on-call incident
/// view (`i` toggles; the wall display is a `DashboardSetup.Mode`, not a screen).
public enum ViewMode: Sendable, Hashable {
    case dashboard, incident
}

/// Something an operator did, as the audit log and the timeline record it.
public struct OperatorAction: Sendable, Hashable {
    public var at: Timestamp
    public var key: String
    public var target: String
    /// What the dialog showed when it was confirmed.
    public var dialog: [String]
    public var confirmation: String
    public var requestID: String?
    public var op: String

    public init(at: Timestamp, key: String, target: String, dialog: [String], confirmation: String, requestID: String?, op: String) {
        self.at = at
        self.key = key
        self.target = target
        self.dialog = dialog
        self.confirmation = confirmation
        self.requestID = requestID
        self.op = op
    }
}

/// One endpoint as the header and status show it.
public struct EndpointView: Sendable, Hashable {
    public var name: String
    public var status: EndpointStatus
    public var stats: EndpointStats?

    public init(name: String, status: EndpointStatus, stats: EndpointStats? = nil) {
        self.name = name
        self.status = status
        self.stats = stats
    }
}

/// How a dashboard starts: what the command line and the config file chose.
public struct DashboardSetup: Sendable {
    public enum Mode: Sendable, Hashable {
        case interactive, readOnly
        /// The wall display; `noQuitKey` for kiosks.
        case wall(noQuitKey: Bool)
        /// Playing a recording: read-only, with the replay badge.
        case replay
    }

    public var mode: Mode = .interactive
    public var keymap = Keymap()
    public var thresholds = Thresholds()
    public var themes: [String] = ["default"]
    public var themeIndex = 0
    public var clusterLabel: String?
    public var operatorName = "operator"
    public var incidentView = false
    /// A message shown for the first 20 s (e.g. a recording's bad lines).
    public var notice: String?
    /// What the source tells and accepts.
    public var provides: SourceCapabilities = .all

    public init() {}
}

/// The whole dashboard: the cluster as known, plus what the user is doing.
public struct AppModel: Sendable {
    public var feed: Feed
    public var now: Timestamp
    public var size = Size(width: 80, height: 24)
    public var focus: Pane = .nodes
    public var rows: [Pane: Int] = [:]
    /// The first row on screen of each pane's table, kept between frames.
    public var offsets: [Pane: Int] = [:]
    /// Lines scrolled back in the log; 0 follows the newest.
    public var logScroll = 0
    /// The failover log's filter (`/`).
    public var logFilterField = TextField()
    public var logFilter: String { logFilterField.text }
    /// The entries the filter matches, kept up to date by `update`.
    public var logMatches = LogMatches()
    public var editingFilter: Bool { logFilterField.editing }
    public var overlay: Overlay?
    public var endpoints: [EndpointView] = []
    public var modeBadge = "INTERACTIVE"
    /// Read-only: command keys answer "read-only" and nothing is ever sent.
    public var readOnly = false
    /// Which screen: the dashboard, the incident view, or the wall.
    public var view: ViewMode = .dashboard
    /// The wall display (implies read-only): no cursor, dialogs or selection.
    public var wall = false
    /// Kiosk walls: not even `q` quits.
    public var noQuitKey = false
    /// When each current alert started (by alert key).
    /// Every alert seen lately, by key: its start, flaps, ack (bounded).
    public var alertMemory: [String: AlertMemory] = [:]
    /// When the current incident (any alert of warning or worse) began.
    public var incidentStart: Timestamp?
    public var lastResyncAt: Timestamp?
    /// Since when the nodes' assignment versions disagree (nil: they agree).
    public var versionsDisagreeSince: Timestamp?
    /// Operator actions, newest last (bounded), for the incident timeline.
    public var operatorActions: [OperatorAction] = []
    /// The envelopes of the recent past the state took (bounded, no
    /// duplicates), for incident bundles and rewind; `recentBase` is the
    /// state before the first of them.
    public var recent: Deque<Envelope> = []
    public var recentBase = ClusterState(vocabulary: EngineRegistry.vocabulary)
    public var recentCapacity = 20_000
    /// Set while looking at the past: the live feed goes on underneath.
    public var rewind: Rewind?
    /// Playing a recording (`clusterdash replay`): the badge shows speed and pause.
    public var replay = false
    public var replayBadge = ""
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
    /// What the source tells and accepts (a pane it cannot fill says so).
    public var provides: SourceCapabilities = .all

    /// A model whose states grade every registered engine's words.
    public init(feed: Feed = Feed(state: ClusterState(vocabulary: EngineRegistry.vocabulary)), now: Timestamp) {
        self.feed = feed
        self.now = now
    }

    /// The model a command line starts with. After this, only `update` changes it.
    public init(now: Timestamp, setup: DashboardSetup) {
        self.init(now: now)
        keymap = setup.keymap
        thresholds = setup.thresholds
        themes = setup.themes.isEmpty ? ["default"] : setup.themes
        themeIndex = max(0, min(themes.count - 1, setup.themeIndex))
        clusterLabel = setup.clusterLabel
        operatorName = setup.operatorName
        switch setup.mode {
        case .interactive:
            break
        case .readOnly:
            readOnly = true
            modeBadge = "READ-ONLY"
        case .wall(let kiosk):
            readOnly = true
            wall = true
            noQuitKey = kiosk
            modeBadge = "WALL"
        case .replay:
            readOnly = true
            replay = true
            modeBadge = "READ-ONLY"
        }
        if setup.incidentView { view = .incident }
        provides = setup.provides
        if let notice = setup.notice { say(notice, seconds: 20) }
    }

    /// The state the screen shows: the past while rewinding, else live.
    public var state: ClusterState { rewind?.state ?? feed.state }
    public var themeName: String { themes.isEmpty ? "default" : themes[themeIndex % themes.count] }

    /// The context the keymap is read in.
    public var context: KeyContext { overlay?.context ?? .normal }

    public func row(_ pane: Pane) -> Int { rows[pane] ?? 0 }

    /// Whether `pane` shows focus and selection (never on the wall).
    public func isFocused(_ pane: Pane) -> Bool { !wall && focus == pane && overlay == nil }

    /// Present replicas, in the nodes pane's order: who can be promoted.
    public var promotionCandidates: [String] {
        state.orderedNodes.filter { $0.isPresent && $0.info.role == .replica }.map(\.id)
    }

    /// What can be shown and sent: what the source provides, narrowed by what
    /// the engine behind it says it tells and accepts (a gateway provides
    /// everything protocol v1 can carry; the engine it relays may have no
    /// partitions).
    public var capabilities: SourceCapabilities {
        // A v1 source without an engine object takes no extension's command.
        guard let engine = state.engine else { return provides.subtracting(.stepDown) }
        // An engine that says nothing of its data (an old recording) is
        // taken at its rules' word.
        let told = engine.provides.isEmpty && engine.accepts.isEmpty ? engineRules.provides : SourceCapabilities(engine: engine)
        return provides.intersection(told)
    }

    /// The Nodes pane's rows, in its order (a replication tree where the engine tells one).
    public var nodeRows: [NodeRecord] { nodeTree(state).compactMap { state.nodes[$0.id] } }

    /// The failover log after the filter.
    public var visibleLog: [LogEntry] {
        guard !logFilter.isEmpty else { return Array(state.log) }
        let log = state.log
        let first = state.logAppended - log.count
        guard logMatches.isCurrent(for: self) else {
            // Not yet brought up to date by `update` (a model made by hand).
            var fresh = LogMatches()
            fresh.refresh(self)
            return fresh.numbers.map { log[log.startIndex + ($0 - first)] }
        }
        return logMatches.numbers.map { log[log.startIndex + ($0 - first)] }
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
