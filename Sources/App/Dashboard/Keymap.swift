import EngineRegistry
import RenderCore

/// Everything a key can ask for.
public enum Action: String, Sendable, Hashable, CaseIterable {
    case quit, help, focusNext, focusPrevious, down, up, top, bottom, pageDown, pageUp, drill, back, filter
    case promote, migrate, cancelMigration, snapshot, nextTheme
    case confirm, dismiss, toggleDryRun, nextField, toggleTakeover
    case incidentView, exportBundle, acknowledge
    case rewindBack, rewindForward, rewindBackMinute, rewindForwardMinute
    case replayPause, replayFaster, replaySlower, replayStep
    case commitText, clearText, deleteChar
    case endpoints
    case nextCluster, previousCluster
}

/// Where a binding applies.
public enum KeyContext: String, Sendable, Hashable, CaseIterable {
    /// The dashboard with no dialog open.
    case normal
    /// The promote, migrate and cancel dialogs.
    case dialog
    /// The help overlay and the partition table.
    case overlay
    /// Typing into a filter or the promotion override.
    case textEntry
}

/// One binding: the single table that help, the status line and the README
/// cheat sheet are generated from.
public struct KeyBinding: Sendable, Hashable {
    public var context: KeyContext
    public var keys: [Key]
    public var action: Action
    public var help: String
    /// The word in the status line; nil keeps it out of the status line.
    public var label: String?

    /// The panes whose status line shows it (nil: every pane).
    public var panes: Set<Pane>?
    /// It acts on the cluster (k9s' `Dangerous`): refused in read-only mode
    /// and while rewound, and hidden from a read-only status line.
    public var dangerous: Bool

    public var inStatus: Bool { label != nil }

    public init(
        _ context: KeyContext, _ keys: [Key], _ action: Action, _ help: String, status: String? = nil, panes: Set<Pane>? = nil,
        dangerous: Bool = false
    ) {
        self.dangerous = dangerous
        self.context = context
        self.keys = keys
        self.action = action
        self.help = help
        self.label = status
        self.panes = panes
    }
}

/// Context -> key -> action. No destructive action sits on Ctrl-d, Ctrl-k,
/// Ctrl-m, Ctrl-i or Ctrl-h (a test checks).
public struct Keymap: Sendable {
    public var bindings: [KeyBinding]

    public init(bindings: [KeyBinding] = Keymap.defaults) {
        self.bindings = bindings
    }

    public static let defaults: [KeyBinding] = [
        KeyBinding(.normal, [.char("q"), .ctrl("c")], .quit, "quit", status: "quit"),
        KeyBinding(.normal, [.char("?")], .help, "help", status: "help"),
        KeyBinding(.normal, [.tab], .focusNext, "next pane", status: "pane"),
        KeyBinding(.normal, [.backTab], .focusPrevious, "previous pane"),
        KeyBinding(.normal, [.char("j"), .down], .down, "move down", status: "move"),
        KeyBinding(.normal, [.char("k"), .up], .up, "move up"),
        KeyBinding(.normal, [.char("g"), .home], .top, "first row"),
        KeyBinding(.normal, [.char("G"), .end], .bottom, "last row (log: follow)", status: "follow", panes: [.log]),
        KeyBinding(.normal, [.pageDown], .pageDown, "page down"),
        KeyBinding(.normal, [.pageUp], .pageUp, "page up"),
        KeyBinding(
            .normal, [.enter], .drill, "drill down (assignments: partition table; nodes: its log)", status: "drill", panes: [.nodes, .assignments]),
        KeyBinding(.normal, [.char("/")], .filter, "filter the failover log", status: "filter", panes: [.log]),
        KeyBinding(.normal, [.char("p")], .promote, "promote a replica", status: "promote", dangerous: true),
        KeyBinding(.normal, [.char("m")], .migrate, "migrate a tenant", status: "migrate", dangerous: true),
        KeyBinding(.normal, [.char("c")], .cancelMigration, "cancel the selected migration", status: "cancel", panes: [.migrations], dangerous: true),
        KeyBinding(.normal, [.char("s")], .snapshot, "ask for a fresh snapshot", status: "snapshot"),
        KeyBinding(.normal, [.char("t")], .nextTheme, "next theme", status: "theme"),
        KeyBinding(.normal, [.escape], .back, "back to live; leave the incident view; clear the filter"),
        KeyBinding(.normal, [.char("i")], .incidentView, "incident view on/off", status: "incident"),
        KeyBinding(.normal, [.char("E")], .endpoints, "endpoints: status, next try, frames, errors, last seq, resyncs"),
        KeyBinding(.normal, [.char(">")], .nextCluster, "the fleet's next cluster, already live (--fleet; Esc: the fleet)"),
        KeyBinding(.normal, [.char("<")], .previousCluster, "the fleet's previous cluster"),
        KeyBinding(.normal, [.char("[")], .rewindBack, "rewind: one event back (Esc: live)"),
        KeyBinding(.normal, [.char("]")], .rewindForward, "rewind: one event forward"),
        KeyBinding(.normal, [.char("{")], .rewindBackMinute, "rewind: a minute back"),
        KeyBinding(.normal, [.char("}")], .rewindForwardMinute, "rewind: a minute forward"),
        KeyBinding(.normal, [.char("e")], .exportBundle, "export an incident bundle (incident view)"),
        KeyBinding(.normal, [.char("a")], .acknowledge, "acknowledge the alerts listed (incident view; audited)"),
        KeyBinding(.normal, [.char(" ")], .replayPause, "replay: pause/resume"),
        KeyBinding(.normal, [.char("+")], .replayFaster, "replay: faster"),
        KeyBinding(.normal, [.char("-")], .replaySlower, "replay: slower"),
        KeyBinding(.normal, [.char(".")], .replayStep, "replay: one event (while paused)"),
        KeyBinding(.dialog, [.char("y")], .confirm, "send (after reading the checks)", status: "send"),
        KeyBinding(.dialog, [.escape, .char("n")], .dismiss, "close without sending", status: "close"),
        KeyBinding(.dialog, [.char("j"), .down], .down, "next choice", status: "choose"),
        KeyBinding(.dialog, [.char("k"), .up], .up, "previous choice"),
        KeyBinding(.dialog, [.enter, .tab], .nextField, "next step", status: "next"),
        KeyBinding(.dialog, [.char("d")], .toggleDryRun, "dry run on/off (migrate)", status: "dry run"),
        KeyBinding(.dialog, [.char("t")], .toggleTakeover, EngineRegistry.promotionModesHelp),
        KeyBinding(.overlay, [.escape, .char("q"), .char("?")], .dismiss, "close", status: "close"),
        KeyBinding(.overlay, [.char("j"), .down], .down, "scroll down", status: "scroll"),
        KeyBinding(.overlay, [.char("k"), .up], .up, "scroll up"),
        KeyBinding(.overlay, [.char("g"), .home], .top, "top"),
        KeyBinding(.overlay, [.char("G"), .end], .bottom, "bottom"),
        KeyBinding(.overlay, [.pageDown], .pageDown, "page down"),
        KeyBinding(.overlay, [.pageUp], .pageUp, "page up"),
        KeyBinding(.overlay, [.char("/")], .filter, "filter (partition table)"),
        KeyBinding(.overlay, [.char("p")], .promote, "step the selected partition's leader down (partition table: NATS streams)", dangerous: true),
        KeyBinding(
            .overlay, [.char("m")], .migrate, "move the selected partition (partition table: NATS streams, by placement tag)", dangerous: true),
        KeyBinding(.textEntry, [.enter], .commitText, "keep what was typed", status: "keep"),
        KeyBinding(.textEntry, [.escape], .clearText, "clear it (the promotion override: close)", status: "clear"),
        KeyBinding(.textEntry, [.backspace], .deleteChar, "delete a character"),
    ]

    /// Whether `action` acts on the cluster (from the bindings, the one list).
    public func isDangerous(_ action: Action) -> Bool {
        bindings.contains { $0.action == action && $0.dangerous }
    }

    /// The actions that act on the cluster.
    public var dangerousActions: Set<Action> { Set(bindings.filter(\.dangerous).map(\.action)) }

    public func action(for key: Key, in context: KeyContext) -> Action? {
        bindings.first { $0.context == context && $0.keys.contains(key) }?.action
    }

    /// Pairs of bindings that put two actions on one key in one context.
    public var conflicts: [(Key, KeyContext, Action, Action)] {
        var seen: [KeyContext: [Key: Action]] = [:]
        var out: [(Key, KeyContext, Action, Action)] = []
        for b in bindings {
            for k in b.keys {
                if let other = seen[b.context]?[k], other != b.action {
                    out.append((k, b.context, other, b.action))
                }
                seen[b.context, default: [:]][k] = b.action
            }
        }
        return out
    }

    /// `q quit  ? help …` for the status line of a context, leaving out `except`.
    public func statusHints(_ context: KeyContext, pane: Pane? = nil, except: Set<Action> = []) -> [(keys: String, help: String)] {
        bindings.filter { b in
            b.context == context && b.inStatus && !except.contains(b.action)
                && (b.panes == nil || pane.map { b.panes?.contains($0) ?? true } ?? true)
        }.map { b in
            (b.keys.prefix(1).map(\.description).joined(separator: "/"), b.label ?? b.help)
        }
    }

    /// Lines of the help overlay, grouped by context.
    public func helpLines() -> [(section: String, keys: String, help: String)] {
        let titles: [KeyContext: String] = [.normal: "Dashboard", .dialog: "Dialogs", .overlay: "Help and tables", .textEntry: "Typing"]
        return KeyContext.allCases.flatMap { ctx in
            bindings.filter { $0.context == ctx }.map { b in
                (titles[ctx] ?? ctx.rawValue, b.keys.map(\.description).joined(separator: " "), b.help)
            }
        }
    }

    /// The README's key table, generated so it cannot drift (a test compares).
    public func markdownCheatSheet() -> String {
        var out = "| where | keys | what |\n| --- | --- | --- |\n"
        for l in helpLines() {
            let keys = l.keys.split(separator: " ").map { "`\($0)`" }.joined(separator: " ")
            out += "| \(l.section) | \(keys) | \(l.help) |\n"
        }
        return out
    }
}
