import Testing

@testable import ClusterState

@Suite struct RecentIDsTests {
    /// The reference: a set plus insertion order, forgetting the oldest.
    struct Model {
        let capacity: Int
        var members: Set<String> = []
        var order: [String] = []
        mutating func insert(_ id: String) -> Bool {
            guard members.insert(id).inserted else { return false }
            order.append(id)
            if order.count > capacity { members.remove(order.removeFirst()) }
            return true
        }
    }

    /// Every insert answers as the reference does, with fingerprints wide
    /// (no collisions) and narrowed to 1, 2 and 4 bits (nearly all collide,
    /// so the id comparison and the backward-shift deletion do the work).
    @Test(arguments: [UInt64.max, 1, 3, 15])
    func matchesTheReferenceUnderCollisions(printMask: UInt64) {
        for capacity in [1, 2, 7, 64] {
            var rng = SplitMix64(seed: 42 &+ UInt64(capacity))
            var window = RecentIDs(capacity: capacity, seed: 9, printMask: printMask)
            var model = Model(capacity: capacity)
            for step in 0..<20_000 {
                let id = "evt-\(rng.next() % UInt64(capacity * 3 + 2))"
                let expected = model.insert(id)
                let got = window.insert(id)
                #expect(got == expected, "capacity \(capacity), mask \(printMask), step \(step), id \(id)")
                if got != expected { return }
            }
            #expect(window.count == model.members.count)
            for k in 0..<(capacity * 3 + 2) {
                let id = "evt-\(k)"
                #expect(window.contains(id) == model.members.contains(id), "capacity \(capacity), mask \(printMask), \(id)")
            }
        }
    }

    @Test func idsLongerThanOneWordAndEmptyAreDistinct() {
        var window = RecentIDs(capacity: 8)
        let ids = ["", "a", "0123456789abcdef", "0123456789abcdeg", "0123456789abcdef0", "ü-éventé-ünicode"]
        for id in ids {
            let inserted = window.insert(id)
            #expect(inserted, "\(id)")
        }
        for id in ids {
            let again = window.insert(id)
            #expect(!again, "\(id)")
        }
    }
}
