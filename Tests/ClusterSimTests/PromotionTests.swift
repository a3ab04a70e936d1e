import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct PromotionTests {
    @Test func successfulPromotionHasTheExactSequence() {
        var h = Harness()
        h.run(seconds: 5)
        let before = h.events.count
        let r = h.command(.promote(requestID: "r-1", node: "node-3"))
        #expect(r?.status == .accepted)
        h.run(seconds: 1)
        let flow = h.events[before...].filter { $0.correlationID == "r-1" }
        #expect(
            flow.map(\.type) == [
                "command.result", "failover.promotion_requested", "failover.promotion_validated", "failover.demoted",
                "node.role_changed", "failover.authority_transferred", "node.role_changed", "failover.inhibited",
            ])
        if case .promotionValidated(let v) = flow[2].event {
            #expect(v.checks.map(\.invariant) == Invariant.allCases)
            #expect(v.checks.allSatisfy { $0.ok })
        } else {
            Issue.record("no validation")
        }
        if case .demoted(let d) = flow[3].event { #expect(d.cause == .gracefulHandoff) }
        #expect(h.state.primaries == ["node-3"])
        #expect(h.state.term == 2)
        #expect(h.state.promotions["r-1"]?.phase == .completed)
        let record = h.state.promotions["r-1"]
        #expect(record?.oldPrimary == "node-1" && record?.newPrimary == "node-3" && record?.term == 2)
        #expect(record?.checks.count == 6 && record?.checks.allSatisfy(\.ok) == true)
        // The inhibit window denies the next one.
        let again = h.command(.promote(requestID: "r-2", node: "node-2"))
        #expect(again?.reason == "failover_inhibited")
        h.run(seconds: 11)
        #expect(h.command(.promote(requestID: "r-3", node: "node-2"))?.status == .accepted)
    }

    @Test func everyDenialReasonIsReachable() {
        var h = Harness()
        h.run(seconds: 5)
        func reason(_ op: ClientOp, scope: TokenScope = .operate) -> String? {
            h.command(op, scope: scope)?.reason
        }
        var n = 0
        func promote(_ node: String) -> ClientOp {
            n += 1
            return .promote(requestID: "p-\(n)", node: node)
        }
        #expect(reason(promote("node-2"), scope: .read) == "read_only_token")
        #expect(reason(promote("node-9")) == "unknown_node")
        #expect(reason(promote("node-1")) == "already_primary")
        h.inject(.lagSpike(node: "node-2", millis: 30_000, durationMillis: 60_000))
        h.run(seconds: 3)
        #expect(reason(promote("node-2")) == "lag_too_high")
        h.inject(.degrade(node: "node-4", durationMillis: nil))
        h.run(seconds: 3)
        #expect(reason(promote("node-4")) == "node_unhealthy")
        #expect(h.events.last?.type == "failover.promotion_denied")
        #expect(reason(promote("node-3")) == nil)  // accepted
        #expect(reason(promote("node-5")) == "failover_inhibited")  // in flight
        h.run(seconds: 1)
        #expect(reason(promote("node-5")) == "failover_inhibited")  // inhibit window
        h.run(seconds: 11)
        h.inject(.quorumLoss(durationMillis: 30_000))
        #expect(reason(promote("node-5")) == "no_quorum")
        // not_a_replica: a candidate mid-election.
        var e = Harness()
        e.run(seconds: 5)
        e.inject(.crash(node: "node-1"))
        let candidate =
            e.events.compactMap { ev -> String? in
                if case .electionStarted(let d) = ev.event { return d.candidate }
                return nil
            }.last ?? "?"
        #expect(e.command(.promote(requestID: "c-1", node: candidate))?.reason == "not_a_replica")
        #expect(
            Set(
                h.events.compactMap { ev -> String? in
                    if case .commandResult(let r) = ev.event { return r.reason }
                    return nil
                }
            ).isSuperset(of: [
                "read_only_token", "unknown_node", "already_primary", "lag_too_high", "node_unhealthy", "failover_inhibited", "no_quorum",
            ]))
    }

    @Test func sameRequestIDTwiceDoesTheWorkOnce() {
        var h = Harness()
        h.run(seconds: 5)
        let first = h.command(.promote(requestID: "r-9", node: "node-2"))
        let count = h.events.count
        let second = h.command(.promote(requestID: "r-9", node: "node-2"))
        #expect(first == second)
        #expect(h.events.count == count + 1)  // only the repeated result
        h.run(seconds: 1)
        #expect(h.events.filter { $0.type == "failover.authority_transferred" }.count == 1)
    }

    /// `step_down` (an extension of engines whose partitions have leaders)
    /// is an unknown op here: rejected, nothing changes.
    @Test func aPartitionStepDownIsRejectedAsUnknown() {
        var h = Harness()
        h.run(seconds: 5)
        let count = h.events.count
        let r = h.command(.stepDown(requestID: "r-10", partition: 3))
        #expect(r?.status == .rejected && r?.reason?.hasPrefix("invalid_request: unknown op step_down") == true, "\(String(describing: r))")
        #expect(h.events.count == count + 1)  // only the result
    }
}
