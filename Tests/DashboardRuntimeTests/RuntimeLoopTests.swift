import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import Logging
import RenderCore
import Testing

@testable import DashboardRuntime

/// The runtime's loop itself, turn by turn, on a scripted backend, scripted
/// sources and a clock moved by hand: every effect `update` returns is
/// performed, for the dashboard shown and for each fleet cluster in the
/// background.
@Suite struct RuntimeLoopTests {
    static let t0 = Timestamp(millis: 1_795_438_800_000)

    struct Rig {
        let runtime: DashboardRuntime<ScriptedBackend>
        let clock: ManualClock
        let input: ScriptedBackend.Input

        /// Lets `millis` pass in frames of 40 ms, a turn each; true when the dashboard ended.
        func run(millis: Int64) -> Bool {
            var left = millis
            while left > 0 {
                clock.advance(millis: min(40, left))
                left -= 40
                if runtime.turn() { return true }
            }
            return false
        }
    }

    func rig(
        source: any EventSource, commands: (any CommandSink)? = nil, fleet discovery: (any ClusterDiscovery)? = nil,
        clusterSetups: [String: DashboardSetup] = [:]
    ) -> Rig {
        let clock = ManualClock(wall: Self.t0)
        let input = ScriptedBackend.Input()
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        var setup = RuntimeSetup(
            model: AppModel(now: Self.t0, setup: DashboardSetup()), source: source, commands: commands, theme: .fallback,
            loadTheme: { _ in .fallback }, stateDirectory: FileManager.default.temporaryDirectory.path + "/clusterdash-runtime-tests",
            logger: logger)
        setup.clock = RuntimeClock(monotonic: { clock.instant }, wall: { clock.wall })
        if let discovery {
            let driver = FleetDriver(source: discovery, setup: DashboardSetup(), readOnly: true, now: Self.t0)
            driver.clusterSetups = clusterSetups
            setup.fleet = driver
        }
        let runtime = DashboardRuntime(backend: ScriptedBackend(width: 120, height: 40, input: input), ascii: false, setup: setup)
        return Rig(runtime: runtime, clock: clock, input: input)
    }

    /// Envelopes of one source: a snapshot, then events with gaps where told.
    struct Stream {
        var factory = EnvelopeFactory()

        mutating func snapshot() -> Envelope {
            var s = EnvelopeFactory.healthySnapshot()
            s.seqs = factory.seqs
            return factory.make(.snapshot(s))
        }

        mutating func event(losing lost: Int64 = 0) -> Envelope {
            if lost > 0 { factory.lose(lost, from: "node-1") }
            return factory.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        }
    }

    @Test func aGapFollowedBySilenceIsResyncedOnTheTick() {
        let source = ScriptedSource()
        let r = rig(source: source)
        var s = Stream()
        source.deliver([s.snapshot(), s.event()], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        // A gap: asked for at once, with the batch.
        source.deliver([s.event(losing: 3)], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        #expect(source.snapshotRequests == [0])
        // Another gap half a second later: held back by the 2 s interval.
        #expect(!r.run(millis: 400))
        source.deliver([s.event(losing: 4)], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        #expect(source.snapshotRequests == [0])
        #expect(r.runtime.model.feed.pending == [0])
        // Then silence: only ticks. Once the interval has passed, the tick's
        // request is sent (it was dropped before: the state stayed wrong).
        #expect(!r.run(millis: 2_000))
        #expect(source.snapshotRequests == [0, 0])
        #expect(r.runtime.model.feed.pending.isEmpty)
        // And not again while nothing more is missing.
        #expect(!r.run(millis: 5_000))
        #expect(source.snapshotRequests == [0, 0])
    }

    /// A quiet stream brings no envelope: a warning or held events the
    /// source learns meanwhile (NATS: the publisher holds what JetStream
    /// cannot store) still reach the screen (issue 23; seen in tmux, where
    /// the header stayed silent while the publisher held 200 events).
    @Test func aWarningOnAQuietStreamReachesTheModel() {
        let source = ScriptedSource()
        let r = rig(source: source)
        var s = Stream()
        source.deliver([s.snapshot()], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        var stats = EndpointStats()
        stats.warning = "publisher gw-a holds 200 events"
        stats.heldUpstream = HeldUpstream(events: 200, since: r.clock.wall)
        source.scriptedStats.withLock { $0 = [stats] }
        #expect(!r.run(millis: 80))
        #expect(r.runtime.model.endpoints.first?.stats?.heldUpstream?.events == 200)
        source.scriptedStats.withLock { $0 = [EndpointStats()] }
        #expect(!r.run(millis: 80))
        #expect(r.runtime.model.endpoints.first?.stats?.heldUpstream == nil)
    }

    @Test func aBackgroundFleetClustersResyncsAreSentToItsOwnSource() {
        let discovery = ScriptedDiscovery()
        let a = ScriptedSource(endpoints: ["nats://a"])
        let b = ScriptedSource(endpoints: ["nats://b"])
        discovery.add("a", a)
        discovery.add("b", b)
        let r = rig(source: discovery, fleet: discovery)
        var sa = Stream()
        var sb = Stream()
        a.deliver([sa.snapshot(), sa.event()], at: r.clock.wall)
        b.deliver([sb.snapshot(), sb.event()], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        #expect(r.runtime.fleet?.backgroundNames == ["a", "b"])
        // A gap in b, in the background: b's source is asked at once.
        b.deliver([sb.event(losing: 2)], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        #expect(b.snapshotRequests == [0])
        // Another, held back, then silence: the background tick asks b again.
        #expect(!r.run(millis: 400))
        b.deliver([sb.event(losing: 5)], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        #expect(b.snapshotRequests == [0])
        #expect(!r.run(millis: 2_000))
        #expect(b.snapshotRequests == [0, 0])
        // a lost nothing and was asked nothing.
        #expect(a.snapshotRequests.isEmpty)
    }

    /// The config file's fleet: each configured cluster through its own
    /// source and setup (what its engine tells and takes), beside those a
    /// discovery found; one whose source could not be made is listed with
    /// why, from its status alone (it never sends an envelope).
    @Test func aConfiguredFleetListsEveryClusterAndOneThatCannotConnectSaysWhy() {
        let found = ScriptedDiscovery()
        let onNATS = ScriptedSource(endpoints: ["nats://n"])
        found.add("found", onNATS)
        let pg = ScriptedSource(endpoints: ["patroni http://pg"], provides: [.roles, .lag, .promote])
        let broken = UnconnectedSource(what: "nats broken", reason: "the environment variable NATS_X is not set")
        let list = ClusterList(named: ["pg": pg, "broken": broken, "found": UnconnectedSource(what: "x", reason: "shadowed")], also: found)
        #expect(list.clusterSources["found"] is UnconnectedSource, "a configured name wins over one found")
        let onlyFound = ClusterList(named: ["pg": pg, "broken": broken], also: found)
        var pgSetup = DashboardSetup()
        pgSetup.provides = pg.provides
        let r = rig(source: onlyFound, fleet: onlyFound, clusterSetups: ["pg": pgSetup])
        var sp = Stream()
        var sf = Stream()
        pg.deliver([sp.snapshot()], at: r.clock.wall)
        onNATS.deliver([sf.snapshot()], at: r.clock.wall)
        #expect(!r.run(millis: 120))
        let screen = r.runtime.terminal.backend.screen.screen.textLines().joined(separator: "\n")
        #expect(screen.contains("3 clusters"), "\(screen)")
        #expect(
            screen.contains("broken           —            —                  —             none    CRIT nats broken failed: the environment"),
            "\(screen)")
        let models = r.runtime.fleet?.model.models ?? [:]
        #expect(models["pg"]?.capabilities.contains(.migrate) == false && models["pg"]?.capabilities.contains(.promote) == true)
        #expect(models["found"]?.capabilities.contains(.migrate) == true)
        // Enter opens the first line (the worst: broken); > and < go round the fleet's order, Esc back.
        let order = r.runtime.fleet?.model.order ?? []
        #expect(order == ["broken", "found", "pg"], "\(order)")
        r.input.type(.key(.enter))
        #expect(!r.run(millis: 80))
        #expect(r.runtime.fleet?.model.opened == "broken")
        r.input.type(.key(.char(">")))
        #expect(!r.run(millis: 80))
        #expect(r.runtime.fleet?.model.opened == "found")
        r.input.type(.key(.char("<")))
        r.input.type(.key(.char("<")))
        #expect(!r.run(millis: 80))
        #expect(r.runtime.fleet?.model.opened == "pg")
        #expect(r.runtime.model.capabilities.contains(.migrate) == false, "the model shown is pg's own")
        r.input.type(.key(.escape))
        #expect(!r.run(millis: 80))
        #expect(r.runtime.fleet?.model.opened == nil)
    }

    @Test func aKeysEffectsArePerformedAndQuitGivesTheTerminalBack() {
        let source = ScriptedSource()
        let r = rig(source: source, commands: source)
        var s = Stream()
        source.deliver([s.snapshot()], at: r.clock.wall)
        #expect(!r.run(millis: 80))
        // What the first frame drew is on the scripted screen.
        #expect(r.runtime.terminal.backend.screen.screen.textLines().joined().contains("node-1"))
        r.input.type(.key(.char("q")))
        r.runtime.loop()
        #expect(r.runtime.terminal.backend.shutDown)
    }
}
