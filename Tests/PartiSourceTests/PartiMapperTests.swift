import ClusterProtocol
import ClusterState
import EngineKit
import EventSources
import Testing

@testable import PartiRules

/// Parti's values as its code writes them, and the mapper on them.
@Suite struct PartiMapperTests {
    static let t0 = Timestamp(millis: 1_780_000_000_000)

    @Test func valuesAreReadAsPartiWritesThem() throws {
        let leader = try #require(PartiKV.leader(Array("worker-1:1780000000".utf8)))
        #expect(leader.worker == "worker-1" && leader.since == Timestamp(millis: 1_780_000_000_000))
        #expect(PartiKV.leader(Array(":12".utf8)) == nil)
        #expect(PartiKV.time(Array("2026-12-07T15:02:17.699815562Z".utf8)) != nil)
        let a = try #require(
            PartiKV.assignment(Array(#"{"version":7,"lifecycle":"planned_scale","partitions":[{"keys":["tenant","42"],"weight":150}]}"#.utf8)))
        #expect(
            a == PartiKV.Assignment(version: 7, lifecycle: "planned_scale", partitions: [PartiKV.Partition(keys: ["tenant", "42"], weight: 150)]))
        #expect(a.partitions[0].id == "tenant-42")
        for garbage in ["", "{", "[]", #"{"version":"7"}"#, "\u{0}"] { #expect(PartiKV.assignment(Array(garbage.utf8)) == nil) }
    }

    static func observation() -> PartiObservation {
        PartiObservation(
            ids: ["worker-0": t0, "worker-1": t0, "worker-2": t0], leader: ("worker-0", t0),
            heartbeats: ["worker-0": t0, "worker-1": t0.adding(millis: -5_000)],
            assignments: [
                "worker-0": PartiKV.Assignment(version: 5, lifecycle: "emergency", partitions: [PartiKV.Partition(keys: ["a"], weight: 100)]),
                "worker-1": PartiKV.Assignment(
                    version: 4, lifecycle: "cold_start",
                    partitions: [PartiKV.Partition(keys: ["a"], weight: 100), PartiKV.Partition(keys: ["b"], weight: 50)]),
                "worker-2": PartiKV.Assignment(version: 5, lifecycle: "emergency", partitions: [PartiKV.Partition(keys: ["c"], weight: 100)]),
            ])
    }

    @Test func workersLeaderHeartbeatsAndTheTableAreMapped() throws {
        var mapper = PartiMapper()
        // One read shows no table yet: Parti writes it key by key.
        #expect(mapper.cluster(Self.observation(), name: "parti-test", at: Self.t0).assignment == nil)
        let c = mapper.cluster(Self.observation(), name: "parti-test", at: Self.t0)
        #expect(c.primaries == ["worker-0"] && c.nodes.map(\.id) == ["worker-0", "worker-1", "worker-2"])
        let byID = Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.id, $0) })
        #expect(byID["worker-0"]?.health == .healthy && byID["worker-0"]?.engine?.state == "working")
        // Five seconds without a beat (two beats are 4 s): late, and its assignment behind.
        #expect(byID["worker-1"]?.health == .suspect)
        #expect(byID["worker-1"]?.engine?.state?.hasPrefix("assignment v4 behind v5") == true, "\(byID["worker-1"]?.engine?.state ?? "")")
        // No heartbeat key at all: it expired.
        #expect(byID["worker-2"]?.health == .unhealthy && byID["worker-2"]?.engine?.state?.hasPrefix("gone: heartbeat expired") == true)
        let state = c.engine?.state ?? ""
        #expect(state.contains("worker-2 gone with 1 partitions") && state.contains("worker-1 holds v4, the newest is v5"), "\(state)")
        let table = try #require(c.assignment)
        #expect(table.version == 5 && c.assignmentReason == .emergency)
        #expect(table.partitions.map(\.name) == ["a", "a", "b", "c"])
        #expect(table.partitions.map(\.worker) == ["worker-0", "worker-1", "worker-1", "worker-2"])
        #expect(table.partitions[1].weight == 100 && table.partitions[2].weight == 50)
        // Through the differ: the duplicate is the dashboard's alarm.
        var differ = PollDiffer(source: "parti-test", idPrefix: "t-")
        var s = ClusterState()
        for e in differ.diff(c, at: Self.t0) { s.apply(e) }
        #expect(s.assignment?.duplicateIDs.count == 1)
    }

    /// Parti renews the id claims and the election key on every beat: a
    /// renewal is no news (seen: one failover-log line per worker a second),
    /// and a weight near `Int64.max` is summed without wrapping.
    @Test func renewalsAreNoNewsAndWeightsDoNotWrap() throws {
        var mapper = PartiMapper()
        var differ = PollDiffer(source: "parti-test", idPrefix: "t-")
        var o = Self.observation()
        o.heartbeats = ["worker-0": Self.t0, "worker-1": Self.t0, "worker-2": Self.t0]
        o.assignments["worker-2"]?.partitions.append(PartiKV.Partition(keys: ["d"], weight: .max))
        var first: [Envelope] = []
        for i in 0..<2 { first += differ.diff(mapper.cluster(o, name: "parti-test", at: Self.t0.adding(millis: Int64(i) * 1_000)), at: Self.t0) }
        #expect(!first.isEmpty)
        let leader = try #require(differ.lastPoll?.nodes.first { $0.id == "worker-0" })
        #expect(leader.engine?.tags == [JSONField("leader seen since", .string(Self.t0.rfc3339))])
        let w2 = try #require(differ.lastPoll?.nodes.first { $0.id == "worker-2" })
        #expect(w2.engine?.position?.hasSuffix("weight \(Int64.max)") == true, "\(w2.engine?.position ?? "")")
        // One beat later: every claim, beat and the election key renewed.
        let later = Self.t0.adding(millis: 2_000)
        o.ids = o.ids.mapValues { _ in later }
        o.heartbeats = o.heartbeats.mapValues { _ in later }
        o.leader = ("worker-0", later)
        let renewed = differ.diff(mapper.cluster(o, name: "parti-test", at: later), at: later)
        #expect(renewed.allSatisfy { $0.type == "node.heartbeat" }, "\(renewed.map(\.event))")
    }

    @Test func aNewVersionOrLifecycleIsPublishedWithItsReason() {
        var mapper = PartiMapper()
        var differ = PollDiffer(source: "parti-test", idPrefix: "t-")
        var s = ClusterState()
        var o = Self.observation()
        for _ in 0..<2 { for e in differ.diff(mapper.cluster(o, name: "parti-test", at: Self.t0), at: Self.t0) { s.apply(e) } }
        // The same partitions republished as v6, planned scale.
        for k in o.assignments.keys {
            o.assignments[k]?.version = 6
            o.assignments[k]?.lifecycle = "planned_scale"
        }
        for _ in 0..<2 {
            for e in differ.diff(mapper.cluster(o, name: "parti-test", at: Self.t0.adding(millis: 1_000)), at: Self.t0.adding(millis: 1_000)) {
                s.apply(e)
            }
        }
        #expect(s.assignment?.version == 6 && s.assignment?.reason == .plannedScale)
    }

    @Test func everyPromotionIsRefusedPartiDecidesAlone() {
        let v = PartiRules().preview(candidate: "worker-1", in: ClusterState(), limits: PreviewLimits(now: Self.t0))
        #expect(v.rejection == .failoverInhibited)
        #expect(PartiSettings.prefixProblem("parti") == nil && PartiSettings.prefixProblem("a.b") != nil && PartiSettings.prefixProblem("") != nil)
        #expect(PartiSettings.problem("nats://127.0.0.1:4222") == nil && PartiSettings.problem("nats://u:p@h:1") != nil)
    }
}
