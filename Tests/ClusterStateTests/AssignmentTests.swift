import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct AssignmentTests {
    @Test func publishComputesLoadAndMoves() {
        var f = EnvelopeFactory()
        var s = seeded(&f, partitions: 12)
        #expect(s.assignment?.workers["node-1"]?.partitions == 4)
        // Move partitions 0 and 3 (node-1's) to node-2, give partition 12 to node-3.
        var table = (0..<12).map { PartitionAssignment(id: Int64($0), worker: "node-\($0 % 3 + 1)") }
        table[0].worker = "node-2"
        table[3].worker = "node-2"
        table.append(PartitionAssignment(id: 12, worker: "node-3", weight: 4))
        s.apply(f.make(.assignmentPublished(AssignmentPublished(version: 2, strategy: .weighted, reason: .plannedScale, partitions: table))))
        let a = s.assignment
        #expect(a?.version == 2)
        #expect(a?.movedInLastRebalance == 2)
        #expect(a?.workers["node-1"]?.partitions == 2)
        #expect(a?.workers["node-2"]?.partitions == 6)
        #expect(a?.workers["node-2"]?.movedIn == 2)
        #expect(a?.workers["node-3"]?.weight == 8)
        #expect(a?.movedPartitions == [0, 3])
        #expect(
            s.log.last?.facts == .assignmentPublished(version: 2, strategy: .weighted, partitions: 13, moved: 2, reason: .plannedScale, duplicates: 0)
        )
    }

    /// An engine's own partition names (NATS streams) cross the wire and
    /// stay with their rows when a delta moves them; rows without one
    /// write no `name` at all.
    @Test func partitionNamesCrossTheWireAndSurviveAMove() throws {
        let named = PartitionAssignment(id: 7, worker: "n1", name: "APP > ORDERS")
        let text = JSONWriter.string(named.wireValue)
        #expect(text.contains(#""name":"APP > ORDERS""#))
        let back = try PartitionAssignment(from: FieldReader(try JSONParser.parse(Array(text.utf8)), context: "row"))
        #expect(back == named)
        #expect(!JSONWriter.string(PartitionAssignment(id: 1, worker: nil).wireValue).contains("name"))
        var f = EnvelopeFactory()
        var s = seeded(&f, partitions: 2)
        s.apply(f.make(.assignmentPublished(AssignmentPublished(version: 2, strategy: .other("streams"), reason: nil, partitions: [named]))))
        s.apply(f.make(.assignmentMoved(AssignmentMoved(version: 3, baseVersion: 2, moves: [PartitionMove(partition: 7, from: "n1", to: "n2")]))))
        #expect(s.assignment?.partitions == [PartitionAssignment(id: 7, worker: "n2", name: "APP > ORDERS")])
    }

    @Test func lowerVersionIsStale() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let out = s.apply(f.make(.assignmentPublished(AssignmentPublished(version: 1, strategy: .roundRobin, reason: nil, partitions: []))))
        #expect(out.disposition == .stale)
        #expect(s.assignment?.strategy == .consistentHash)
    }

    @Test func deltaOnHeldVersionApplies() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let out = s.apply(
            f.make(.assignmentMoved(AssignmentMoved(version: 2, baseVersion: 1, moves: [PartitionMove(partition: 0, from: "node-1", to: "node-3")]))))
        #expect(out == .applied)
        #expect(s.assignment?.version == 2)
        #expect(s.assignment?.worker(of: 0) == "node-3")
        #expect(s.assignment?.workers["node-3"]?.movedIn == 1)
        #expect(s.assignment?.movedInLastRebalance == 1)
        #expect(s.assignment?.movedPartitions == [0])
    }

    @Test func deltaOnOtherVersionAsksForSnapshot() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let out = s.apply(
            f.make(.assignmentMoved(AssignmentMoved(version: 6, baseVersion: 5, moves: [PartitionMove(partition: 0, from: "node-1", to: "node-3")]))))
        #expect(out.disposition == .stale)
        #expect(out.resync == .baseVersionMismatch(held: 1, base: 5))
        #expect(s.assignment?.worker(of: 0) == "node-1")
        #expect(s.counters.baseVersionMismatches == 1)

        var empty = ClusterState()
        let none = empty.apply(f.make(.assignmentMoved(AssignmentMoved(version: 2, baseVersion: 1, moves: []))))
        #expect(none.resync == .baseVersionMismatch(held: nil, base: 1))
    }

    @Test func orphansAndDuplicates() {
        var f = EnvelopeFactory()
        var s = seeded(&f, partitions: 6)
        #expect(s.orphanedPartitions == 0)
        let table = [
            PartitionAssignment(id: 0, worker: "node-1"), PartitionAssignment(id: 1, worker: nil),
            PartitionAssignment(id: 2, worker: "node-3"), PartitionAssignment(id: 2, worker: "node-2"),
            PartitionAssignment(id: 3, worker: "node-9"),
        ]
        s.apply(f.make(.assignmentPublished(AssignmentPublished(version: 2, strategy: .roundRobin, reason: nil, partitions: table))))
        #expect(s.assignment?.duplicateIDs == [2])
        // Partition 1 unassigned, partition 3 on a node that does not exist.
        #expect(s.orphanedPartitions == 2)
        #expect(s.log.last?.severity == .critical)
        // A node crashing orphans its partitions.
        s.apply(f.make(.nodeLeft(NodeLeft(node: "node-3", reason: .crashed))))
        #expect(s.orphanedPartitions == 3)
    }
}
