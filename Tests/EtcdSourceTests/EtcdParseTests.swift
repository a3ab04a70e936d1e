import ClusterProtocol
import Testing

@testable import EtcdProtocol

/// etcd 3.4's gateway answers as they came from scripts/etcd-up's members.
@Suite struct EtcdParseTests {
    static let status = Array(
        #"{"header":{"cluster_id":"17097387144563878295","member_id":"2060938244990384136","revision":"1","raft_term":"2"},"version":"3.4.23","dbSize":"24576","leader":"2060938244990384136","raftIndex":"8","raftTerm":"2","raftAppliedIndex":"8","dbSizeInUse":"16384"}"#
            .utf8)
    static let members = Array(
        #"{"header":{"cluster_id":"17097387144563878295","member_id":"2060938244990384136","raft_term":"2"},"members":[{"ID":"2060938244990384136","name":"e1","peerURLs":["http://127.0.0.1:22380"],"clientURLs":["http://127.0.0.1:22379"]},{"ID":"9758157519382702384","name":"e3","peerURLs":["http://127.0.0.1:22384"],"clientURLs":["http://127.0.0.1:22383"]},{"ID":"16106801202430970469","name":"e2","peerURLs":["http://127.0.0.1:22382"],"clientURLs":["http://127.0.0.1:22381"]},{"ID":"7164080973548715033","peerURLs":["http://127.0.0.1:22386"],"isLearner":true}]}"#
            .utf8)

    @Test func aStatusKeepsEvery64BitIDExact() throws {
        let s = try EtcdParse.status(Self.status)
        // Above 2^53: a Double would have rounded them.
        #expect(s.memberID == 2_060_938_244_990_384_136)
        #expect(s.clusterID == 17_097_387_144_563_878_295)
        #expect(s.leader == 2_060_938_244_990_384_136)
        #expect(s.raftTerm == 2 && s.raftIndex == 8 && s.raftAppliedIndex == 8)
        #expect(s.dbSize == 24_576 && s.dbSizeInUse == 16_384 && s.version == "3.4.23" && !s.isLearner && s.errors.isEmpty)
    }

    @Test func aStatusDuringAnElectionHasNoLeaderAndAnAlarmIsAnError() throws {
        let body =
            #"{"header":{"member_id":"4643498033431087441","raft_term":"5"},"raftIndex":"14","raftTerm":"5","isLearner":true,"errors":["memberID:4643498033431087441 alarm:NOSPACE "]}"#
        let s = try EtcdParse.status(Array(body.utf8))
        #expect(s.leader == nil)
        #expect(s.isLearner)
        #expect(s.errors == ["memberID:4643498033431087441 alarm:NOSPACE "])
    }

    @Test func theMemberListHoldsAnUnstartedLearner() throws {
        let m = try EtcdParse.members(Self.members)
        #expect(m.map(\.nodeID) == ["e1", "e3", "e2", "636bedb042817c19"])
        #expect(m[3].isLearner && !m[3].isStarted && m[3].clientURLs.isEmpty)
        #expect(m[2].id == 16_106_801_202_430_970_469 && m[2].hexID == "df86da5b2abb8a65")
    }

    @Test func alarmsAndTheirAbsence() throws {
        #expect(try EtcdParse.alarms(Array("{}".utf8)).isEmpty)
        let a = try EtcdParse.alarms(Array(#"{"alarms":[{"memberID":"4643498033431087441","alarm":"NOSPACE"}]}"#.utf8))
        #expect(a == [EtcdAlarm(memberID: 4_643_498_033_431_087_441, alarm: "NOSPACE")])
    }

    @Test func theLeadersMetricsSayWhichPeersItReaches() {
        let text = """
            # HELP etcd_network_active_peers The current number of active peer connections.
            # TYPE etcd_network_active_peers gauge
            etcd_network_active_peers{Local="407104dbede28951",Remote="add13df38cb8a2ef"} 1
            etcd_network_active_peers{Local="407104dbede28951",Remote="47b7b083d7d5ea97"} 0
            etcd_network_disconnected_peers_total{Local="407104dbede28951",Remote="47b7b083d7d5ea97"} 1
            etcd_server_has_leader 1
            """
        let peers = EtcdParse.activePeers(Array(text.utf8))
        #expect(peers == [0xadd1_3df3_8cb8_a2ef: true, 0x47b7_b083_d7d5_ea97: false])
    }

    @Test func garbageIsAnErrorThatSaysWhat() {
        for body in ["<html>", "[]", #"{"members":"x"}"#, #"{"members":[{"ID":"-3"}]}"#, #"{"members":[{"ID":"18446744073709551616"}]}"#] {
            #expect(throws: EtcdParseError.self) { try EtcdParse.members(Array(body.utf8)) }
        }
        for body in ["", "{}", #"{"header":{"member_id":"1"}}"#, #"{"error":"etcdserver: not leader","code":9}"#] {
            #expect(throws: EtcdParseError.self) { try EtcdParse.status(Array(body.utf8)) }
        }
        #expect(EtcdParse.error(Array(#"{"error":"etcdserver: not leader","code":9}"#.utf8)) == "etcdserver: not leader")
    }
}
