import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@Suite struct EnvelopeStamperTests {
    @Test func stampsTheContractsIdsAndSeqs() {
        var s = EnvelopeStamper(idPrefix: "x-", seqs: ["node-2": 40])
        let a = s.stamp(.demoted(Demoted(node: "node-1", cause: .health, term: 3)), from: "node-1", at: t0)
        let b = s.stamp(.demoted(Demoted(node: "node-1", cause: .health, term: 3)), from: "node-1", at: t0)
        let c = s.stamp(.commandResult(CommandResult(requestID: "r", op: "promote", status: .accepted, reason: nil)), from: "node-1", at: t0)
        let snap = s.stamp(.snapshot(EnvelopeFactory.healthySnapshot(nodes: 3)), from: "node-1", at: t0)
        let d = s.stamp(.leaderElected(LeaderElected(term: 4, leader: "node-2", votes: 2)), from: "node-2", at: t0)
        #expect([a.seq, b.seq, c.seq, snap.seq, d.seq] == [1, 2, 0, 2, 41])
        #expect(Set([a.id, b.id, c.id, snap.id, d.id]).count == 5)
        #expect(a.id == "x-1")
        s.restart("node-1")
        s.lose(3, from: "node-2")
        #expect(s.nextSeq(from: "node-1") == 1)
        #expect(s.nextSeq(from: "node-2") == 45)
    }
}
