import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct AssignmentStrategyTests {
    @Test func consistentHashingKeepsMostPartitionsInPlace() {
        let weights = [Double](repeating: 1, count: 1_000)
        let three = AssignmentCalculator.assign(strategy: .consistentHash, weights: weights, workers: ["a", "b", "c"])
        let four = AssignmentCalculator.assign(strategy: .consistentHash, weights: weights, workers: ["a", "b", "c", "d"])
        let stayed = zip(three, four).filter { $0.worker == $1.worker }.count
        #expect(stayed >= 650, "only \(stayed) of 1000 stayed")
        // And the load is reasonably even.
        let counts = Dictionary(grouping: four, by: { $0.worker ?? "" }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 > 150 && $0 < 350 }, "\(counts)")
    }

    @Test func roundRobinIsEvenAndWeightedBalancesWeight() {
        let rr = AssignmentCalculator.assign(strategy: .roundRobin, weights: .init(repeating: 1, count: 10), workers: ["b", "a", "c"])
        let counts = Dictionary(grouping: rr, by: { $0.worker ?? "" }).mapValues(\.count)
        #expect(counts == ["a": 4, "b": 3, "c": 3])
        let weights: [Double] = [4, 4, 2, 2, 1, 1, 1, 1]
        let w = AssignmentCalculator.assign(strategy: .weighted, weights: weights, workers: ["a", "b"])
        let load = Dictionary(grouping: w, by: { $0.worker ?? "" }).mapValues { $0.reduce(0) { $0 + $1.weight } }
        #expect(load == ["a": 8, "b": 8])
        #expect(AssignmentCalculator.assign(strategy: .consistentHash, weights: [1, 1], workers: []).allSatisfy { $0.worker == nil })
    }
}
