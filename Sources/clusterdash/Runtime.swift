import CHeap
import ClusterProtocol
import Dashboard
import Dispatch
import EventSources
import Foundation
import Logging
import NcursesBackend
import RenderCore
import SimServer
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's runtime: owns the terminal on one thread, feeds messages
/// to `update`, performs the effects it returns, and renders on a frame
/// clock (at most 30 frames a second, and only when something changed).
final class DashboardRuntime: @unchecked Sendable {
    // @unchecked: every field is touched only from the curses thread, after
    // `run` hands the object to it.
    var model: AppModel
    /// The source shown; in the fleet, the open cluster's (the fleet's own while none is).
    var source: any EventSource
    /// Nil in read-only mode: the command path does not exist.
    var commands: (any CommandSink)?
    /// `--fleet`: every cluster on NATS, each with its own source and model.
    var fleet: FleetDriver?
    let themes: ThemeLibrary
    var theme: Theme
    let colorMode: ColorMode
    var asciiRequested: Bool
    let logger: Logger
    let signals: QuitSignals
    let frameMillis: Int64 = 33
    /// The most envelopes applied at once (about 10 ms of work in a release
    /// build): keys are read between bites, so one waits at most a bite under
    /// a flood (taking the whole queue made a key wait 350-480 ms).
    static let maxEnvelopesPerBite = 2_048
    /// The dashboard's clock: the wall clock, or a recording's playhead.
    var clock: @Sendable () -> Timestamp = wallClockNow
    /// Set when playing a recording.
    var replay: ReplaySource?

    init(
        model: AppModel, source: any EventSource, commands: (any CommandSink)?, themes: ThemeLibrary, theme: Theme,
        colorMode: ColorMode, ascii: Bool, logger: Logger, signals: QuitSignals
    ) {
        self.model = model
        self.source = source
        self.commands = commands
        self.themes = themes
        self.theme = theme
        self.colorMode = colorMode
        self.asciiRequested = ascii
        self.logger = logger
        self.signals = signals
    }

    /// Runs the UI on a thread of its own and returns when it ends.
    func run() async -> String? {
        // Large buffers straight from mmap, so a burst's memory goes back
        // when it is freed (a wall display runs for weeks).
        cd_heap_configure()
        return await withCheckedContinuation { (done: CheckedContinuation<String?, Never>) in
            let thread = Thread { [self] in
                done.resume(returning: self.loop())
            }
            thread.name = "clusterdash-ui"
            thread.start()
        }
    }

    /// The curses thread's whole life. Returns why it ended, if not by `q`.
    private func loop() -> String? {
        let backend = NcursesBackend(theme: theme, colorMode: colorMode)
        let symbols: Symbols = asciiRequested || !backend.unicode ? .ascii : .unicode
        var terminal = Terminal(backend: backend, symbols: symbols)
        // Every way out of this function restores the terminal.
        defer { terminal.backend.shutdown() }
        logger.info("ui started: \(terminal.backend.size) \(terminal.backend.colorCount) colours, \(symbols == .ascii ? "ascii" : "unicode")")
        _ = update(&model, .resize(terminal.backend.size))
        var dirty = true
        // Frames fall due every 33 ms on a fixed grid; between them the loop
        // waits for keys exactly until the next one is due.
        var pacer = FramePacer(interval: .milliseconds(frameMillis), start: ContinuousClock.now)
        var lastTick = ContinuousClock.now
        var lastSecond = Int64(0)
        var lastStatuses: [EndpointStatus] = []
        // More waits in the queue than the last bite took: the next bite comes
        // at once (keys are read between bites), drawn once a frame.
        var backlog = false
        while true {
            if signals.received != 0 {
                logger.notice("signal \(signals.received): quitting")
                return nil
            }
            // Keys: the first read waits until the next frame is due, the
            // rest only take what is already there.
            var quit = false
            var events = 0
            terminal.backend.setInputTimeout(millis: backlog ? 0 : pacer.millisUntilDue(at: ContinuousClock.now))
            while events < 64, let event = terminal.backend.readEvent() {
                if events == 0 { terminal.backend.setInputTimeout(millis: 0) }
                events += 1
                switch event {
                case .resize:
                    terminal.invalidate()
                    _ = update(&model, .resize(terminal.backend.size))
                    fleet?.resize(terminal.backend.size)
                case .key(let k):
                    if let f = fleet {
                        if f.model.opened == nil {
                            switch f.model.key(k) {
                            case .quit: quit = true
                            case .open(let name): open(name, terminal.backend.size)
                            case .none: break
                            }
                            dirty = true
                            continue
                        }
                        // Esc with nothing open over the dashboard: back to the fleet.
                        if k == .escape, model.overlay == nil, !model.editingFilter, model.rewind == nil {
                            closeCluster()
                            dirty = true
                            continue
                        }
                    }
                    quit = perform(update(&model, .key(k)), &terminal) || quit
                }
                dirty = true
            }
            if quit { return nil }
            let now = ContinuousClock.now
            // `due` moves the pacer on: asked once per turn.
            let due = pacer.due(at: now)
            if due, let f = fleet {
                // Every cluster's feed moves on, shown or not; the screen is
                // drawn again when one of them brought something.
                if f.discover(now: clock()) { dirty = true }
                for name in f.model.names {
                    guard let s = f.sources[name] else { continue }
                    var batch = s.queue.take(max: DashboardRuntime.maxEnvelopesPerBite)
                    defer { s.queue.recycle(&batch) }
                    // An empty take still goes to a model that says "behind" (see below).
                    let behind = name == f.model.opened ? model.feed.behind : f.model.models[name]?.feed.behind ?? 0
                    guard !batch.items.isEmpty || batch.dropped > 0 || behind > 0 else { continue }
                    dirty = true
                    let views = zip(s.endpointNames, s.statuses).map { EndpointView(name: $0.0, status: $0.1, stats: s.stats.first) }
                    if name == f.model.opened {
                        if perform(update(&model, .batch(batch, views, at: clock())), &terminal) { return nil }
                    } else {
                        f.update(name, .batch(batch, views, at: clock()))
                    }
                }
            } else if due || backlog {
                // Bounded bites, keys read between them, so a key is answered
                // within a bite however fast the stream comes; a stream faster
                // than the bites fills the bounded queue ("behind", then a
                // snapshot).
                var batch = source.queue.take(max: DashboardRuntime.maxEnvelopesPerBite)
                backlog = batch.backlog > batch.items.count
                let statuses = source.statuses
                // An empty take still goes to the model while it says
                // "behind": the header must not say so once caught up.
                if !batch.items.isEmpty || batch.dropped > 0 || statuses != lastStatuses || model.feed.behind > 0 {
                    lastStatuses = statuses
                    let stats = source.stats
                    let views = zip(source.endpointNames, statuses).enumerated().map { i, e in
                        EndpointView(name: e.0, status: e.1, stats: stats.indices.contains(i) ? stats[i] : nil)
                    }
                    if let replay { _ = update(&model, .effectResult(.replayStatus(replayBadge(replay)))) }
                    if perform(update(&model, .batch(batch, views, at: clock())), &terminal) { return nil }
                    dirty = true
                }
                source.queue.recycle(&batch)
            }
            if now - lastTick >= .milliseconds(250) {
                lastTick = now
                let t = clock()
                _ = update(&model, .tick(t))
                fleet?.tick(t)
                if t.millis / 1000 != lastSecond {
                    lastSecond = t.millis / 1000
                    dirty = true
                }
            }
            // Between bites of a backlog, drawn only when a frame is due or a
            // key came (what it changed shows at once).
            if dirty, !backlog || due || events > 0 {
                dirty = false
                let m = model
                if let f = fleet, f.model.opened == nil {
                    let fm = f.model
                    terminal.draw { buffer in renderFleet(fm, into: &buffer, symbols: symbols) }
                } else {
                    terminal.draw { buffer in render(m, into: &buffer, symbols: symbols) }
                }
            }
        }
    }

    /// Opens a cluster of the fleet: its live model and source become the ones shown.
    private func open(_ name: String, _ size: Size) {
        guard let f = fleet, let m = f.model.models[name], let s = f.sources[name] else { return }
        f.model.opened = name
        model = m
        _ = update(&model, .resize(size))
        source = s
        commands = f.readOnly ? nil : s
        logger.info("fleet: opened \(name)")
    }

    /// Back to the fleet screen; the cluster's model goes on in the background.
    private func closeCluster() {
        guard let f = fleet, let name = f.model.opened else { return }
        f.model.models[name] = model
        f.model.opened = nil
        source = f.source
        commands = nil
        logger.info("fleet: back from \(name)")
    }

    private func replayBadge(_ r: ReplaySource) -> String {
        if r.finished { return "REPLAY end" }
        if r.paused { return "REPLAY paused" }
        let x = r.speed
        return "REPLAY \(x == x.rounded() ? String(Int(x)) : String(x))x"
    }

    /// Writes `incident.md` and `events.jsonl` into a new folder; returns its path.
    private func writeBundle() throws -> String {
        let stamp = model.now.rfc3339.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "").prefix(15)
        var dir = stateDirectory() + "/incidents/incident-\(stamp)"
        var n = 1
        while FileManager.default.fileExists(atPath: dir) {
            n += 1
            dir = stateDirectory() + "/incidents/incident-\(stamp)-\(n)"
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try IncidentBundle.markdown(model).write(toFile: dir + "/incident.md", atomically: true, encoding: .utf8)
        try IncidentBundle.eventsJSONL(model).write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        logger.notice("incident bundle written to \(dir)")
        return dir
    }

    /// Appends one line to `$XDG_STATE_HOME/clusterdash/audit.jsonl`; a
    /// failure is logged and comes back to be shown (never dropped).
    private func appendAudit(_ record: AuditRecord) -> String? {
        let path = stateDirectory() + "/audit.jsonl"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
                throw ValidationFailure("cannot create \(path)")
            }
            guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationFailure("cannot open \(path) for writing") }
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: Data((record.jsonLine + "\n").utf8))
            return nil
        } catch {
            logger.error("audit: \(path): \(error)")
            return "\(path): \(error)"
        }
    }

    /// Performs effects; true when the dashboard should quit.
    private func perform(_ effects: [Effect], _ terminal: inout Terminal<NcursesBackend>) -> Bool {
        for effect in effects {
            switch effect {
            case .quit:
                return true
            case .send(let op):
                guard let commands else {
                    // update() never asks in read-only mode; if it did, nothing leaves.
                    logger.error("command \(op.op) refused: read-only")
                    continue
                }
                logger.info("command \(op.op) \(op.requestID ?? "")")
                if !commands.send(op), let id = op.requestID {
                    _ = update(&model, .sendFailed(requestID: id))
                }
            case .requestSnapshot(let endpoint):
                logger.info("snapshot requested from endpoint \(endpoint)")
                source.requestSnapshot(from: endpoint)
            case .exportBundle:
                do {
                    let dir = try writeBundle()
                    _ = update(&model, .effectResult(.bundleWritten(path: dir)))
                } catch {
                    logger.error("incident bundle: \(error)")
                    _ = update(&model, .effectResult(.bundleFailed(reason: "\(error)")))
                }
            case .audit(let record):
                if let failure = appendAudit(record) { _ = update(&model, .effectResult(.auditFailed(reason: failure))) }
            case .replay(let control):
                guard let replay else { continue }
                switch control {
                case .togglePause: replay.togglePause()
                case .faster: replay.setSpeed(replay.speed * 2)
                case .slower: replay.setSpeed(replay.speed / 2)
                case .step: replay.step()
                }
                _ = update(&model, .effectResult(.replayStatus(replayBadge(replay))))
            case .selectTheme(let name):
                do {
                    theme = try themes.load(name)
                    terminal.backend.setTheme(theme)
                    terminal.invalidate()
                } catch {
                    logger.warning("theme \(name): \(error)")
                    _ = update(&model, .effectResult(.themeFailed(name: name, reason: "\(error)")))
                }
            }
        }
        return false
    }
}
