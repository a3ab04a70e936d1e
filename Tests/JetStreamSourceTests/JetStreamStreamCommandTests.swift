import ClusterProtocol
import Testing

@testable import JetStreamProtocol
@testable import JetStreamRules

/// The checks and requests of the commands on one stream, on streams as a
/// leader reports them: a step-down is refused where no replica could take
/// over, a move's config keeps every field but the placement, and a move's
/// progress is read from the leader's own view.
@Suite struct JetStreamStreamCommandTests {
    static let downAfter: Int64 = 3_000_000_000

    static func stream(
        leader: String?, replicas: [JetStreamPeer], numReplicas: Int = 3, tags: [String] = [], fromLeader: Bool = true
    ) -> ObservedStream {
        ObservedStream(
            JetStreamStream(
                account: "APP", name: "ORDERS", group: JetStreamGroup(leader: leader, replicas: replicas), numReplicas: numReplicas,
                placementTags: tags), fromLeader: fromLeader)
    }

    @Test func aStepDownIsRefusedWhereNoOtherServerCouldLead() {
        func refusal(_ s: ObservedStream?) -> String? {
            JetStreamStreamCommands.stepDownRefusal(s, named: "APP > ORDERS", downAfterNanos: Self.downAfter)
        }
        #expect(refusal(nil) == "APP > ORDERS is not among the streams of the last poll (deleted?)")
        #expect(refusal(Self.stream(leader: nil, replicas: [JetStreamPeer(name: "n2", current: true)]))?.contains("has no leader now") == true)
        #expect(
            refusal(Self.stream(leader: "n1", replicas: [], numReplicas: 1))
                == "APP > ORDERS is R1: no other server holds it, so no other can lead it")
        let notItsView = Self.stream(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: true)], fromLeader: false)
        #expect(refusal(notItsView)?.contains("n1's own view") == true)
        // `current` alone is not up: a replica unheard for longer than the limit is gone.
        let behind = Self.stream(
            leader: "n1",
            replicas: [
                JetStreamPeer(name: "n2", current: false, activeNanos: 1_000_000, lag: 340),
                JetStreamPeer(name: "n3", current: true, activeNanos: 12_000_000_000),
            ])
        #expect(
            refusal(behind)
                == "no replica of APP > ORDERS is current (n2 340 entries behind, n3 unheard for 12 s): a new leader could not take over")
        let ready = Self.stream(
            leader: "n1",
            replicas: [JetStreamPeer(name: "n2", current: false, lag: 5), JetStreamPeer(name: "n3", current: true, activeNanos: 200_000)])
        #expect(refusal(ready) == nil)
    }

    @Test func aMovedConfigKeepsEveryFieldButThePlacementsTags() throws {
        let info =
            #"{"type":"io.nats.jetstream.api.v1.stream_info_response","config":{"name":"MOVE","subjects":["move.>"],"retention":"limits","max_bytes":-1,"num_replicas":1,"placement":{"cluster":"cd","tags":["az:1"]},"sealed":false},"state":{"messages":3}}"#
        let config = try JetStreamParse.streamConfig(Array(info.utf8))
        let moved = JetStreamStreamCommands.movedConfig(config, toTag: "az:2")
        #expect(moved.fields.map(\.key) == ["name", "subjects", "retention", "max_bytes", "num_replicas", "sealed", "placement"])
        #expect(JSONWriter.string(.object(moved)).contains(#""placement":{"cluster":"cd","tags":["az:2"]}"#))
        #expect(moved["max_bytes"] == .int(-1) && moved["subjects"] == .array(["move.>"]))
        // No placement before: one with the tag alone.
        let bare = JetStreamStreamCommands.movedConfig(JSONObject([JSONField("name", "X")]), toTag: "az:3")
        #expect(JSONWriter.string(.object(bare)) == #"{"name":"X","placement":{"tags":["az:3"]}}"#)
        // An error or an answer without a config is no config.
        #expect(throws: JetStreamParseError.self) {
            try JetStreamParse.streamConfig(Array(#"{"error":{"code":404,"err_code":10059,"description":"stream not found"}}"#.utf8))
        }
        #expect(throws: JetStreamParseError.self) { try JetStreamParse.streamConfig(Array(#"{"config":{}}"#.utf8)) }
    }

    @Test func aMoveIsRefusedOnlyWhereNothingCouldBeAsked() {
        let tags = ["n1": ["az:1"], "n2": ["az:2"], "n3": ["az:3"]]
        let r1 = Self.stream(leader: "n1", replicas: [], numReplicas: 1, tags: ["az:1"])
        #expect(
            JetStreamStreamCommands.moveRefusal(r1, named: "ORDERS", toTag: "az:9", tags: tags)
                == "no server carries the tag az:9 (tags seen: az:1, az:2, az:3)")
        #expect(
            JetStreamStreamCommands.moveRefusal(r1, named: "ORDERS", toTag: "az:1", tags: tags) == "ORDERS is already placed on az:1 (n1)")
        #expect(JetStreamStreamCommands.moveRefusal(r1, named: "ORDERS", toTag: "az:2", tags: tags) == nil)
        // A server not heard from yet may carry a tag none known does: nats-server is asked.
        #expect(JetStreamStreamCommands.moveRefusal(r1, named: "ORDERS", toTag: "az:4", tags: tags, unknown: ["n4"]) == nil)
        let leaderless = Self.stream(leader: nil, replicas: [JetStreamPeer(name: "n1", current: false)], numReplicas: 1)
        #expect(JetStreamStreamCommands.moveRefusal(leaderless, named: "ORDERS", toTag: "az:2", tags: tags)?.contains("no leader now") == true)
        // Three replicas on one tagged server: nats-server's own refusal is the answer, so it is asked.
        let r3 = Self.stream(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: true), JetStreamPeer(name: "n3", current: true)])
        #expect(JetStreamStreamCommands.moveRefusal(r3, named: "ORDERS", toTag: "az:1", tags: tags) == nil)
    }

    /// The steps 2.9.10 went through moving an R1 stream from az:1 to az:2
    /// (engines.md): the old leader with a new peer far behind, caught up,
    /// the new peer leading, then alone.
    @Test func aMovesProgressIsReadFromTheLeadersView() {
        let tags = ["n1": ["az:1"], "n2": ["az:2"], "n3": ["az:3"]]
        func progress(_ s: ObservedStream?) -> StreamMoveProgress {
            JetStreamStreamCommands.moveProgress(s, toTag: "az:2", tags: tags)
        }
        let adding = progress(Self.stream(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: false, lag: 47_779)], numReplicas: 1))
        #expect(!adding.done && adding.newPeers == ["n2"] && adding.behind == 47_779 && adding.phase == "catching_up")
        let caughtUp = progress(Self.stream(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: true)], numReplicas: 1))
        #expect(!caughtUp.done && caughtUp.behind == 0 && caughtUp.phase == "handing_over")
        let handedOver = progress(Self.stream(leader: "n2", replicas: [JetStreamPeer(name: "n1", current: true)], numReplicas: 1))
        #expect(!handedOver.done && handedOver.phase == "removing_old_peers", "the old peer still holds it")
        let done = progress(Self.stream(leader: "n2", replicas: [], numReplicas: 1))
        #expect(done.done && done.peers == ["n2"])
        let notYet = progress(Self.stream(leader: "n1", replicas: [], numReplicas: 1))
        #expect(!notYet.done && notYet.phase == "adding_peers")
        // Another server's view: the lag is not to be believed.
        let foreign = progress(
            Self.stream(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: false, lag: 9)], numReplicas: 1, fromLeader: false))
        #expect(foreign.behind == nil)
        #expect(!progress(nil).done)
    }
}
