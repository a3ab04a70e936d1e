import ClusterProtocol
import Testing

@testable import JetStreamProtocol

/// nats-server 2.9.10's own answers, captured from the cluster of
/// `scripts/nats-up` with accounts (trimmed to what is read).
enum JetStreamAnswers {
    /// The meta leader n2's JSZ reply: it alone lists the meta peers; ORDERS
    /// is led by n1, so n2's view of it is a follower's (lags of its own).
    static let leaderJSZ =
        #"{"server":{"name":"n2","host":"127.0.0.1","id":"ND5PNSL3ETOLOP2CXV22OYKG4D3MYW4NLGL3S3UKNHCQ5BT545WQCQ67","cluster":"clusterdash","ver":"2.9.10","tags":["az:2"],"seq":42,"jetstream":true,"time":"2026-12-07T14:26:10.044145492Z"},"data":{"server_id":"ND5PNSL3ETOLOP2CXV22OYKG4D3MYW4NLGL3S3UKNHCQ5BT545WQCQ67","now":"2026-12-07T14:26:10.044108353Z","memory":0,"storage":2048,"reserved_memory":0,"reserved_storage":0,"accounts":1,"ha_assets":3,"api":{"total":1,"errors":0},"streams":2,"consumers":0,"messages":0,"bytes":0,"meta_cluster":{"name":"clusterdash","leader":"n2","peer":"44jzkV9D","replicas":[{"name":"n1","current":true,"active":191402155,"peer":"fjFyEjc1"},{"name":"n3","current":false,"active":191466526,"lag":7,"peer":"BXScrY9i"}],"cluster_size":3},"account_details":[{"name":"APP","id":"APP","memory":0,"storage":0,"reserved_memory":18446744073709551615,"reserved_storage":18446744073709551615,"accounts":0,"ha_assets":0,"api":{"total":1,"errors":0},"stream_detail":[{"name":"EVENTS","created":"2026-12-07T14:26:09.332320929Z","cluster":{"name":"clusterdash","leader":"n2","replicas":[{"name":"n1","current":true,"active":371103908,"peer":"fjFyEjc1"},{"name":"n3","current":false,"active":368202166,"lag":613,"peer":"BXScrY9i"}]},"config":{"name":"EVENTS","subjects":["events.\u003e"],"storage":"file","num_replicas":3,"placement":{"tags":["az:2"]}},"state":{"messages":20000,"bytes":1400000,"first_seq":1,"first_ts":"0001-01-01T00:00:00Z","last_seq":20000,"last_ts":"0001-01-01T00:00:00Z","consumer_count":0}},{"name":"ORDERS","created":"2026-12-07T14:26:08.448597107Z","cluster":{"name":"clusterdash","leader":"n1","replicas":[{"name":"n1","current":true,"active":894892178,"lag":1,"peer":"fjFyEjc1"},{"name":"n3","current":false,"active":0,"lag":1,"peer":"BXScrY9i"}]},"config":{"name":"ORDERS","subjects":["orders.\u003e"],"storage":"file","num_replicas":3},"state":{"messages":0,"bytes":0,"first_seq":0,"last_seq":0,"consumer_count":0}}]}]}}"#

    /// n1's reply, a follower of the meta group: no meta peers; it leads ORDERS.
    static let followerJSZ =
        #"{"server":{"name":"n1","host":"127.0.0.1","id":"NDAZFAYFS2SS5NONGCC6ZOWPKRCAZ2YCXYSKZGVFINII5GMA7CYG2PDX","cluster":"clusterdash","ver":"2.9.10","tags":["az:1"],"seq":87,"jetstream":true,"time":"2026-12-07T14:26:13.084053517Z"},"data":{"memory":0,"storage":1024,"meta_cluster":{"name":"clusterdash","leader":"n2","peer":"44jzkV9D","cluster_size":3},"account_details":[{"name":"APP","id":"APP","stream_detail":[{"name":"ORDERS","cluster":{"name":"clusterdash","leader":"n1","replicas":[{"name":"n2","current":true,"active":12000000,"peer":"44jzkV9D"},{"name":"n3","current":true,"active":13000000,"lag":4,"peer":"BXScrY9i"}]},"config":{"name":"ORDERS","num_replicas":3},"state":{"messages":10,"bytes":700,"last_seq":10}},{"name":"SCRATCH","cluster":{"name":"clusterdash","leader":"n1"},"config":{"name":"SCRATCH","num_replicas":1},"state":{"messages":3,"bytes":96,"last_seq":3}}]}]}}"#

    static let healthOK =
        #"{"server":{"name":"n1","host":"127.0.0.1","id":"NDAZ","cluster":"clusterdash","ver":"2.9.10","tags":["az:1"],"seq":87,"jetstream":true,"time":"2026-12-07T14:26:13.084053517Z"},"data":{"status":"ok"}}"#
    static let healthBad =
        #"{"server":{"name":"n3","id":"NAPF"},"data":{"status":"unavailable","error":"JetStream stream 'APP \u003e ORDERS' is not current"}}"#
    static let names =
        #"{"type":"io.nats.jetstream.api.v1.stream_names_response","total":3,"offset":0,"limit":1024,"streams":["EVENTS","ORDERS","SCRATCH"]}"#
    static let notFound =
        #"{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0}"#
    static let leaderElected =
        #"{"type":"io.nats.jetstream.advisory.v1.stream_leader_elected","id":"x","timestamp":"2026-12-06T10:00:00Z","account":"APP","stream":"ORDERS","leader":"n2","replicas":[{"name":"n3","current":false,"active":167760,"lag":8}]}"#
    static let quorumLost =
        #"{"type":"io.nats.jetstream.advisory.v1.stream_quorum_lost","stream":"ORDERS","replicas":[{"name":"n2","current":false,"lag":634},{"name":"n3","current":true,"active":11999622818}]}"#
    static let shutdown =
        #"{"name":"n3","host":"127.0.0.1","id":"NBTE","cluster":"cd","ver":"2.9.10","tags":["az:3"],"seq":134,"jetstream":true,"time":"2026-12-06T10:00:00Z"}"#
}

@Suite struct JetStreamParseTests {
    @Test func aServerReportReadsTheMetaGroupAndEveryStream() throws {
        let r = try JetStreamParse.serverReport(Array(JetStreamAnswers.leaderJSZ.utf8))
        #expect(r.name == "n2" && r.version == "2.9.10" && r.tags == ["az:2"] && r.cluster == "clusterdash")
        #expect(r.meta?.leader == "n2" && r.clusterSize == 3)
        #expect(r.meta?.replicas.map(\.name) == ["n1", "n3"])
        #expect(r.meta?.replicas.last == JetStreamPeer(name: "n3", current: false, activeNanos: 191_466_526, lag: 7))
        // `lag` left out means 0.
        #expect(r.meta?.replicas.first?.lag == 0)
        #expect(r.streams.map(\.name) == ["EVENTS", "ORDERS"])
        let events = try #require(r.streams.first)
        #expect(events.qualifiedName == "APP > EVENTS")
        #expect(events.numReplicas == 3 && events.placementTags == ["az:2"] && events.messages == 20_000 && events.lastSeq == 20_000)
        #expect(events.group?.peers == ["n2", "n1", "n3"])
        #expect(r.storageBytes == 2048)
    }

    @Test func healthAnswersAndTheStreamAPIAreRead() throws {
        #expect(try JetStreamParse.health(Array(JetStreamAnswers.healthOK.utf8)) == JetStreamHealth(server: "n1", problem: nil))
        #expect(
            try JetStreamParse.health(Array(JetStreamAnswers.healthBad.utf8))
                == JetStreamHealth(server: "n3", problem: "JetStream stream 'APP > ORDERS' is not current"))
        let names = try JetStreamParse.streamNames(Array(JetStreamAnswers.names.utf8))
        #expect(names.names == ["EVENTS", "ORDERS", "SCRATCH"] && names.total == 3)
        #expect(
            JetStreamParse.apiError(Array(JetStreamAnswers.notFound.utf8)) == JetStreamAPIError(code: 404, errCode: 10059, text: "stream not found"))
        #expect(throws: JetStreamParseError.self) { try JetStreamParse.streamInfo(Array(JetStreamAnswers.notFound.utf8), account: "") }
    }

    @Test func advisoriesAreReadByTypeAndSubject() {
        #expect(
            JetStreamParse.advisory(subject: "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.ORDERS", Array(JetStreamAnswers.leaderElected.utf8))
                == .leaderElected(account: "APP", stream: "ORDERS", leader: "n2"))
        #expect(
            JetStreamParse.advisory(subject: "$JS.EVENT.ADVISORY.STREAM.QUORUM_LOST.ORDERS", Array(JetStreamAnswers.quorumLost.utf8))
                == .quorumLost(account: nil, stream: "ORDERS"))
        #expect(JetStreamParse.advisory(subject: "$SYS.SERVER.NBTE.SHUTDOWN", Array(JetStreamAnswers.shutdown.utf8)) == .serverShutdown(server: "n3"))
        // The API audit advisory (one per API call) is not acted on.
        #expect(JetStreamParse.advisory(subject: "$JS.EVENT.ADVISORY.API", Array(#"{"type":"io.nats.jetstream.advisory.v1.api_audit"}"#.utf8)) == nil)
    }

    @Test(arguments: ["", "{", "[]", "null", #"{"server":{}}"#, #"{"server":{"name":"n1"}}"#, "\u{0}\u{1}"])
    func garbageIsRefusedNeverTrappedOn(_ text: String) {
        #expect(throws: JetStreamParseError.self) { try JetStreamParse.serverReport(Array(text.utf8)) }
        #expect(throws: JetStreamParseError.self) { try JetStreamParse.health(Array(text.utf8)) }
        #expect(JetStreamParse.advisory(subject: "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.X", Array(text.utf8)) == nil)
    }

    @Test func hostileFiguresAreClampedNeverTrappedOn() throws {
        let text =
            #"{"server":{"name":"n1"},"data":{"storage":1e300,"memory":-1e300,"meta_cluster":{"leader":"n1","cluster_size":9223372036854775807,"replicas":[{"name":"n2","active":18446744073709551615,"lag":-5}]}}}"#
        let r = try JetStreamParse.serverReport(Array(text.utf8))
        #expect(r.storageBytes == Int64.max && r.memoryBytes == Int64.min)
        #expect(r.meta?.replicas.first?.activeNanos == Int64.max && r.meta?.replicas.first?.lag == 0)
        #expect(r.clusterSize == Int.max)
    }
}
