import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

/// Every number a server sends is a valid JSON integer, and any of them can
/// be at an end of Int64 (a hostile or broken server): a replica's
/// `lag_ms` of 9223372036854775807 killed the dashboard with SIGILL
/// (`Int64(Double(Int64.max))` traps). A simulated incident with engine
/// facts is sent again with every integer but the seqs replaced by each
/// extreme value in turn (weights by the same as a double), and the
/// dashboard must take it and draw every screen, pane, overlay and dialog,
/// the alerts, the bundle and the log at every size without trapping.
@Suite struct ExtremeNumbersTests {
    static let extremes: [Int64] = [.min, .max, 0, -1, -9_007_199_254_740_993, 9_007_199_254_740_993, .max - 1, .min + 1]

    /// A simulated incident (a crash, a lag spike, a migration) and an
    /// engine's own facts (status, a node's engine info, byte lag, history).
    static func incident() -> [Envelope] {
        var s = Scene()
        s.run(seconds: 3)
        s.inject(.lagSpike(node: "node-2", millis: 40_000, durationMillis: 60_000))
        s.command(.migrate(requestID: "m-1", tenant: s.model.state.tenants.keys.sorted().first ?? "tenant-1", target: "eu-west", dryRun: false))
        s.run(seconds: 4)
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 4)
        var f = EnvelopeFactory(start: s.sim.now)
        let engine: [Event] = [
            .engineStatus(
                EngineClusterInfo(
                    name: "redis-sentinel", lagUnit: "bytes", maximumLagOnFailover: 1 << 20, quorum: 2, witnesses: 3, sentinels: 3)),
            .nodeUpdated(
                NodeUpdated(
                    node: NodeInfo(
                        id: "node-2", role: .replica, term: 9, lagMillis: 5,
                        engine: EngineNodeInfo(role: "replica", state: "streaming", lagBytes: 77, ackAgeMillis: 12, keys: 1_000)))),
            .replicationLagBytes(ReplicationLagBytes(follower: "node-2", leader: "node-3", lagBytes: 4_096, state: .measured)),
            .failoverHistory(FailoverHistory(entries: [FailoverHistory.Entry(term: 3, position: 99, reason: "crash", at: nil, leader: "node-1")])),
        ]
        return s.history + engine.map { f.make($0, source: "engine") }
    }

    /// `e` with every integer but its seq (and the seqs of a snapshot's
    /// `seqs`) replaced by `v`, and every double by `Double(v)`.
    static func replacingNumbers(_ e: Envelope, with v: Int64) -> Envelope? {
        func walk(_ j: JSONValue, key: String?) -> JSONValue {
            switch j {
            case .int where key == "seq": return j
            case .int: return .int(v)
            case .double: return .double(Double(v))
            case .array(let a): return .array(a.map { walk($0, key: key) })
            case .object(let o):
                if key == "seqs" { return j }
                return .object(JSONObject(o.fields.map { JSONField($0.key, walk($0.value, key: $0.key)) }))
            default: return j
            }
        }
        guard let tree = try? JSONParser.parse(EnvelopeCodec.encode(e)) else { return nil }
        return try? EnvelopeCodec.decode(JSONWriter.string(walk(tree, key: nil)))
    }

    @Test(arguments: extremes)
    func everyScreenDrawsExtremeNumbersWithoutTrapping(_ v: Int64) async {
        let original = Self.incident()
        let changed = original.compactMap { Self.replacingNumbers($0, with: v) }
        // Most envelopes still decode (a number out of a field's range is refused, and counted).
        #expect(changed.count > original.count / 2, "\(changed.count) of \(original.count) decoded with \(v)")
        var m = AppModel(now: t0)
        m.themes = ["default"]
        let last = changed.last?.timestamp ?? t0
        // Fed in small batches, as the runtime does, with the originals
        // first for half of them so both old and new values meet.
        let mixed = Array(original.prefix(original.count / 2)) + changed
        for chunk in stride(from: 0, to: mixed.count, by: 16).map({ Array(mixed[$0..<min(mixed.count, $0 + 16)]) }) {
            let items = chunk.map { Received(envelope: $0, endpoint: 0, receivedAt: $0.timestamp) }
            let views = [EndpointView(name: "ws://127.0.0.1:7400/v1/stream", status: .live(since: t0, lastFrameAt: last))]
            _ = update(&m, .batch(Batch(items: items, dropped: 0, backlog: items.count), views, at: last))
            await Task.yield()
        }
        _ = update(&m, .tick(last.adding(millis: 60_000)))
        var drawn = 0
        for (w, h) in [(200, 60), (120, 40), (80, 24), (40, 12)] {
            _ = update(&m, .resize(Size(width: w, height: h)))
            for keys in Self.screens {
                var s = m
                for k in keys { _ = update(&s, .key(k)) }
                var b = Buffer(size: Size(width: w, height: h))
                render(s, into: &b)
                drawn += 1
                // Nothing the server sent reaches the screen as a control character.
                #expect(!b.textLines().joined().unicodeScalars.contains { $0.value < 0x20 }, "\(v) \(keys)")
            }
        }
        #expect(drawn == 4 * Self.screens.count)
        _ = currentAlerts(m)
        #expect(!IncidentBundle.markdown(m).isEmpty)
        #expect(!IncidentBundle.eventsJSONL(m).isEmpty)
        for entry in m.state.log { _ = entry.text }
    }

    /// Each screen, as the keys that open it from the dashboard.
    static let screens: [[Key]] = [
        [],  // every pane
        [.char("i")],  // the incident view
        [.char("p")],  // the promotion dialog, checks of every candidate
        [.char("p"), .char("j")],
        [.char("m")],  // the migration dialog
        [.tab, .tab, .enter],  // the partitions overlay (Assignments' Enter)
        [.char("E")],  // the endpoints overlay
        [.char("?")],  // the help
        [.tab, .tab, .tab],  // the Migrations pane focused
        [.char("[")],  // rewound
    ]
}
