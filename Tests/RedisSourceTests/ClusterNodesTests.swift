import ClusterState
import Foundation
import RedisSource
import Testing

/// `CLUSTER NODES` as a real 6-node cluster answered it (scripts/redis-cluster-up):
/// steady, a slot being moved, a master SIGSTOPped (PFAIL, then FAIL and its
/// replica's takeover) and the old master back as a replica.
@Suite struct ClusterNodesTests {
    func fixture(_ name: String) throws -> [ClusterNode] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).txt")
        return try ClusterNodes.parse(String(contentsOf: url, encoding: .utf8))
    }

    func node(_ nodes: [ClusterNode], _ port: Int) throws -> ClusterNode {
        try #require(nodes.first { $0.address == "127.0.0.1:\(port)" })
    }

    @Test func steadyThreeMastersThreeReplicasEverySlotOnce() throws {
        let nodes = try fixture("cluster-nodes-steady")
        #expect(nodes.count == 6)
        let masters = nodes.filter(\.isMaster)
        #expect(masters.map(\.address).sorted() == ["127.0.0.1:17001", "127.0.0.1:17002", "127.0.0.1:17003"])
        var owners = [Int](repeating: 0, count: ClusterNodes.slotCount)
        for m in masters { for r in m.slots { for s in r { owners[s] += 1 } } }
        #expect(owners.allSatisfy { $0 == 1 }, "every slot owned exactly once")
        let first = try node(nodes, 17001)
        #expect(first.slots == [0...5460])
        #expect(first.isMyself)
        #expect(first.busPort == 27001)
        for r in nodes where !r.isMaster {
            #expect(r.flags.contains("slave"))
            let followsAMaster = masters.contains { $0.id == r.masterID }
            #expect(followsAMaster, "\(r.address) follows a master")
            #expect(r.slots.isEmpty)
        }
        #expect(Set(masters.map(\.configEpoch)) == [1, 2, 3])
        #expect(nodes.allSatisfy { $0.linkConnected })
    }

    @Test func aSlotBeingMovedShowsOnBothSides() throws {
        let source = try node(try fixture("cluster-nodes-migrating-source"), 17001)
        let target = try node(try fixture("cluster-nodes-migrating-target"), 17002)
        #expect(source.migrating == [100: target.id])
        #expect(target.importing == [100: source.id])
        #expect(source.slots == [0...5460], "the slot stays the source's until it is handed over")
    }

    @Test func aStoppedMasterIsSuspectThenFailedAndItsReplicaTakesOver() throws {
        let pfail = try fixture("cluster-nodes-pfail")
        let suspect = try node(pfail, 17002)
        #expect(suspect.isSuspect && !suspect.isFailed)
        #expect(suspect.slots == [5461...10922])
        let after = try fixture("cluster-nodes-failed-over")
        let failed = try node(after, 17002)
        #expect(failed.isFailed && failed.slots.isEmpty)
        let promoted = try node(after, 17005)
        #expect(promoted.isMaster && promoted.slots == [5461...10922])
        #expect(promoted.configEpoch > failed.configEpoch)
        let rejoined = try fixture("cluster-nodes-rejoined")
        let back = try node(rejoined, 17003)
        let newMaster = try node(rejoined, 17006)
        #expect(back.flags.contains("slave") && back.masterID == newMaster.id)
    }

    @Test func linesThatAreNotNodeLinesAreErrorsNamingTheLine() {
        let good = "b3bfdf14b336bde31ecae7cf8ebb83e4bdf2a328 127.0.0.1:17001@27001 myself,master - 0 1796398165000 1 connected 0-5460"
        for bad in [
            "garbage", "b3bf 127.0.0.1:1@2 master - 0 0 1 connected", good.replacingOccurrences(of: "connected", with: "maybe"),
            good + " 16384", good + " 10-5", good + " [100]", good + " [100->-x", good.replacingOccurrences(of: " 0 1796", with: " x 1796"),
        ] {
            #expect(throws: ClusterNodesError.self, "\(bad)") { try ClusterNodes.parse(good + "\n" + bad + "\n") }
            do {
                _ = try ClusterNodes.parse(good + "\n" + bad)
            } catch {
                #expect(error.description.hasPrefix("CLUSTER NODES line 2:"), "\(error)")
            }
        }
        #expect((try? ClusterNodes.parse(good + "\r\n\n"))?.count == 1)
    }

    /// Slots as the real server's `CLUSTER KEYSLOT` gave them.
    @Test func hashSlotsAreTheServers() {
        let server: [(String, Int)] = [
            ("foo", 12182), ("bar", 5061), ("{user1000}.following", 3443), ("{user1000}.followers", 3443), ("{tenant-42}:orders", 11327),
            ("tenant-42", 11327), ("", 0), ("{}", 15257), ("foo{}{bar}", 8363), ("foo{{bar}}zap", 4015), ("foo{bar}{zap}", 5061),
            ("123456789", 12739), ("é", 10180),
        ]
        for (key, slot) in server { #expect(HashSlot.of(key) == slot, "\(key)") }
    }
}
