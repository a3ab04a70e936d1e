import ClusterProtocol
import Dashboard
import EventSources
import Logging
import RenderCore

/// The dashboard's runtime: owns the terminal on one thread, feeds every
/// message to `update` through one `dispatch` that always performs what
/// `update` returns (for the dashboard shown and for each fleet cluster in
/// the background), and renders on a frame clock (at most 30 frames a
/// second, and only when something changed). Built on the thread it runs on,
/// after the backend took the terminal; `loop` gives the terminal back on
/// every way out.
public final class DashboardRuntime<Backend: InteractiveBackend>: @unchecked Sendable {
    // @unchecked: every field is touched only from the thread that built
    // the runtime and runs its turns.
    public internal(set) var model: AppModel
    /// The source shown; in the fleet, the open cluster's (the fleet's own while none is).
    var source: any EventSource
    /// Nil in read-only mode: the command path does not exist.
    var commands: (any CommandSink)?
    public let fleet: FleetDriver?
    public internal(set) var terminal: Terminal<Backend>
    let symbols: Symbols
    let loadTheme: @Sendable (String) throws -> Theme
    let stateDirectory: String
    let logger: Logger
    let quitSignal: @Sendable () -> Int32
    let clock: RuntimeClock
    let replay: ReplaySource?

    /// The most envelopes applied at once (about 10 ms of work in a release
    /// build): keys are read between bites, so one waits at most a bite under
    /// a flood (taking the whole queue made a key wait 350-480 ms).
    public static var maxEnvelopesPerBite: Int { 2_048 }
    /// Time passes for the model (clock, ages, resyncs held back) this often.
    public static var tickInterval: Duration { .milliseconds(250) }

    var pacer: FramePacer
    var lastTick: ContinuousClock.Instant
    var lastSecond = Int64(0)
    var lastStatuses: [EndpointStatus] = []
    /// What the endpoints warn of that no envelope brings (NATS: no
    /// publisher, events held upstream), as last shown.
    var lastNotices: [EndpointNotices] = []
    /// More waits in the queue than the last bite took: the next bite comes
    /// at once (keys are read between bites), drawn once a frame.
    var backlog = false
    var dirty = true

    public init(backend: Backend, ascii: Bool, setup: RuntimeSetup) {
        model = setup.model
        source = setup.source
        commands = setup.commands
        fleet = setup.fleet
        symbols = ascii || !backend.unicode ? .ascii : .unicode
        terminal = Terminal(backend: backend, symbols: symbols)
        terminal.backend.setTheme(setup.theme)
        loadTheme = setup.loadTheme
        stateDirectory = setup.stateDirectory
        logger = setup.logger
        quitSignal = setup.quitSignal
        clock = setup.clock
        replay = setup.replay
        let now = setup.clock.monotonic()
        // Frames fall due every 33 ms on a fixed grid; between them a turn
        // waits for keys exactly until the next one is due.
        pacer = FramePacer(interval: .milliseconds(33), start: now)
        lastTick = now
        logger.info(
            "ui started: \(backend.size) \(backend.colorCount) colours, \(symbols == .ascii ? "ascii" : "unicode")")
        resize(to: backend.size)
    }

    /// Runs turns until `q` or a quit signal; the terminal is given back on
    /// every way out.
    public func loop() {
        defer { terminal.backend.shutdown() }
        while !turn() {}
    }

    /// One turn: the keys that came (waiting for the first until the next
    /// frame is due), the feeds' envelopes when a frame is due, the tick,
    /// and a frame when something changed. True when the dashboard ends.
    public func turn() -> Bool {
        let signal = quitSignal()
        if signal != 0 {
            logger.notice("signal \(signal): quitting")
            return true
        }
        let (quit, events) = readInput()
        if quit { return true }
        let now = clock.monotonic()
        // `due` moves the pacer on: asked once per turn.
        let due = pacer.due(at: now)
        if let fleet {
            if due, feedFleet(fleet) { return true }
        } else if due || backlog {
            if feedShown() { return true }
        }
        if tickIfDue(now) { return true }
        // Between bites of a backlog, drawn only when a frame is due or a
        // key came (what it changed shows at once).
        if dirty, !backlog || due || events > 0 { draw() }
        return false
    }

    // MARK: The one dispatch

    /// Where a message goes: the dashboard shown, or a fleet cluster in the background.
    enum Target: Equatable {
        case shown
        case background(String)
    }

    /// Applies `msg` to the target's model and performs every effect that
    /// comes back. True when the dashboard ends.
    @discardableResult
    func dispatch(_ msg: Msg, to target: Target = .shown) -> Bool {
        switch target {
        case .shown:
            return perform(update(&model, msg), for: target)
        case .background(let name):
            return perform(fleet?.update(name, msg) ?? [], for: target)
        }
    }

    // MARK: Steps of a turn

    /// Keys: the first read waits until the next frame is due, the rest only
    /// take what is already there (at most 64 a turn).
    private func readInput() -> (quit: Bool, events: Int) {
        var events = 0
        terminal.backend.setInputTimeout(millis: backlog ? 0 : pacer.millisUntilDue(at: clock.monotonic()))
        while events < 64, let event = terminal.backend.readEvent() {
            if events == 0 { terminal.backend.setInputTimeout(millis: 0) }
            events += 1
            dirty = true
            switch event {
            case .resize:
                terminal.invalidate()
                resize(to: terminal.backend.size)
            case .key(let k):
                switch fleetKey(k) {
                case .quit: return (true, events)
                case .taken: continue
                case .notTheFleets: if dispatch(.key(k)) { return (true, events) }
                }
            }
        }
        return (false, events)
    }

    private func resize(to size: Size) {
        dispatch(.resize(size))
        guard let fleet else { return }
        fleet.model.size = size
        for name in fleet.backgroundNames { dispatch(.resize(size), to: .background(name)) }
    }

    private enum FleetKey {
        case quit, taken, notTheFleets
    }

    /// The fleet's keys while its screen shows, and Esc back to it.
    private func fleetKey(_ k: Key) -> FleetKey {
        guard let fleet else { return .notTheFleets }
        if fleet.model.opened == nil {
            switch fleet.model.key(k) {
            case .quit: return .quit
            case .open(let name): open(name)
            case .none: break
            }
            return .taken
        }
        // Esc with nothing open over the dashboard: back to the fleet.
        let calm = model.overlay == nil && !model.editingFilter && model.rewind == nil
        if k == .escape, calm {
            closeCluster()
            return .taken
        }
        // > and <: the next or previous cluster in the fleet's order, already live.
        if calm, let action = model.keymap.action(for: k, in: .normal), action == .nextCluster || action == .previousCluster,
            let current = fleet.model.opened
        {
            let order = fleet.model.order
            guard let i = order.firstIndex(of: current), order.count > 1 else { return .taken }
            let next = order[(i + (action == .nextCluster ? 1 : order.count - 1)) % order.count]
            closeCluster()
            fleet.model.chosen = next
            open(next)
            return .taken
        }
        return .notTheFleets
    }

    /// The shown source's envelopes, a bounded bite at a time: keys are read
    /// between bites, so a key is answered within a bite however fast the
    /// stream comes; a stream faster than the bites fills the bounded queue
    /// ("behind", then a snapshot). True when the dashboard ends.
    private func feedShown() -> Bool {
        var batch = source.queue.take(max: Self.maxEnvelopesPerBite)
        defer { source.queue.recycle(&batch) }
        backlog = batch.backlog > batch.items.count
        let statuses = source.statuses
        let stats = source.stats
        let notices = stats.map(EndpointNotices.init)
        // An empty take still goes to the model while it says "behind": the
        // header must not say so once caught up. A status or a warning that
        // changed goes too: a quiet stream brings no envelope to carry it.
        guard
            !batch.items.isEmpty || batch.dropped > 0 || statuses != lastStatuses || notices != lastNotices || model.feed.behind > 0
        else { return false }
        lastStatuses = statuses
        lastNotices = notices
        dirty = true
        if let replay, dispatch(.effectResult(.replayStatus(replay.badge))) { return true }
        return dispatch(.batch(batch, endpointViews(source, statuses, stats), at: clock.wall()))
    }

    /// Every fleet cluster's feed moves on, shown or not; the screen is drawn
    /// again when one of them brought something. True when the dashboard ends.
    private func feedFleet(_ fleet: FleetDriver) -> Bool {
        let found = fleet.discover(now: clock.wall())
        if !found.isEmpty { dirty = true }
        for name in found { dispatch(.resize(fleet.model.size), to: .background(name)) }
        for name in fleet.model.names {
            guard let s = fleet.sources[name] else { continue }
            let target: Target = name == fleet.model.opened ? .shown : .background(name)
            var batch = s.queue.take(max: Self.maxEnvelopesPerBite)
            defer { s.queue.recycle(&batch) }
            // An empty take still goes to a model that says "behind", or
            // whose endpoints' status changed.
            let behind = target == .shown ? model.feed.behind : fleet.model.models[name]?.feed.behind ?? 0
            let statuses = s.statuses
            let statusChanged = fleet.lastStatuses[name] != statuses
            guard !batch.items.isEmpty || batch.dropped > 0 || behind > 0 || statusChanged else { continue }
            fleet.lastStatuses[name] = statuses
            dirty = true
            if dispatch(.batch(batch, endpointViews(s, statuses, s.stats), at: clock.wall()), to: target) { return true }
        }
        return false
    }

    private func endpointViews(_ s: any EventSource, _ statuses: [EndpointStatus], _ stats: [EndpointStats]) -> [EndpointView] {
        zip(s.endpointNames, statuses).enumerated().map { i, e in
            EndpointView(name: e.0, status: e.1, stats: stats.indices.contains(i) ? stats[i] : nil)
        }
    }

    /// Time passes for every model, shown or in the background; what the
    /// tick asks for (a resync held back) is performed. True when the
    /// dashboard ends.
    private func tickIfDue(_ now: ContinuousClock.Instant) -> Bool {
        guard now - lastTick >= Self.tickInterval else { return false }
        lastTick = now
        let t = clock.wall()
        if dispatch(.tick(t)) { return true }
        if let fleet {
            fleet.model.now = t
            for name in fleet.backgroundNames { dispatch(.tick(t), to: .background(name)) }
        }
        if t.millis / 1000 != lastSecond {
            lastSecond = t.millis / 1000
            dirty = true
        }
        return false
    }

    private func draw() {
        dirty = false
        let symbols = symbols
        if let fleet, fleet.model.opened == nil {
            let fm = fleet.model
            terminal.draw { buffer in renderFleet(fm, into: &buffer, symbols: symbols) }
        } else {
            let m = model
            terminal.draw { buffer in render(m, into: &buffer, symbols: symbols) }
        }
    }

    // MARK: The fleet

    /// Opens a cluster of the fleet: its live model and source become the ones shown.
    private func open(_ name: String) {
        guard let fleet, let m = fleet.model.models[name], let s = fleet.sources[name] else { return }
        fleet.model.opened = name
        model = m
        source = s
        commands = fleet.readOnly ? nil : s as? any CommandSink
        dispatch(.resize(terminal.backend.size))
        logger.info("fleet: opened \(name)")
    }

    /// Back to the fleet screen; the cluster's model goes on in the background.
    private func closeCluster() {
        guard let fleet, let name = fleet.model.opened else { return }
        fleet.model.models[name] = model
        fleet.model.opened = nil
        source = fleet.source
        commands = nil
        logger.info("fleet: back from \(name)")
    }
}

extension ReplaySource {
    /// The replay's badge: "REPLAY 2x", "REPLAY paused", "REPLAY end".
    var badge: String {
        if finished { return "REPLAY end" }
        if paused { return "REPLAY paused" }
        let x = speed
        return "REPLAY \(x == x.rounded() ? String(Int(x)) : String(x))x"
    }
}

/// The part of an endpoint's stats a screen shows that no envelope brings.
struct EndpointNotices: Equatable {
    var warning: String?
    var held: HeldUpstream?

    init(_ stats: EndpointStats) {
        warning = stats.warning
        held = stats.heldUpstream
    }
}
