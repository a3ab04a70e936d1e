import CHeap
import ClusterProtocol
import ClusterState
import Dashboard
import EventSources

/// What the configured caps hold when a flood fills them, in heap bytes
/// (malloc's count of bytes in use, not RSS, so earlier phases' freed
/// memory does not blur it): the source's bounded queue full (100,000
/// envelopes), and the model after 100,000 lag events (the history kept for
/// rewind and bundles at its trim point, the de-duplication window full,
/// every follower's lag history full). Envelopes are decoded from the same
/// kind of frame the flood sends.
enum Caps {
    struct Result {
        var queueMB: Double
        var modelMB: Double
        var totalMB: Double { queueMB + modelMB }
    }

    static func measure() -> Result {
        let t0 = Timestamp(millis: 1_795_438_800_000)
        let followers = ["node-2", "node-3", "node-4", "node-5"]
        func frame(_ n: Int) -> Envelope? {
            let node = followers[n % followers.count]
            let e = Envelope(
                id: "flood-\(n)", source: node, seq: Int64(n / followers.count + 1), timestamp: t0.adding(millis: Int64(n)),
                event: .replicationLag(
                    ReplicationLag(follower: node, leader: "node-1", lagMillis: Int64(n % 5_000), lagEntries: Int64(n % 40), walPosition: Int64(n))))
            return try? EnvelopeCodec.decode(EnvelopeCodec.encode(e))
        }
        let mb = 1_048_576.0
        let q0 = cd_heap_in_use()
        let queue = EnvelopeQueue(capacity: 100_000)
        for n in 0..<100_000 {
            if let e = frame(n) { _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: e.timestamp)) }
        }
        let q1 = cd_heap_in_use()

        var model = AppModel(now: t0)
        let snapshot = Envelope(
            id: "snap", source: "node-1", seq: 0, timestamp: t0,
            event: .snapshot(
                ClusterSnapshot(
                    cluster: "flood", term: 1, leader: "node-1",
                    nodes: (1...5).map { NodeInfo(id: "node-\($0)", region: "us-east", role: $0 == 1 ? .primary : .replica, term: 1) },
                    assignment: nil, tenants: [])))
        _ = update(&model, .batch(Batch(items: [Received(envelope: snapshot, endpoint: 0, receivedAt: t0)], dropped: 0, backlog: 0), [], at: t0))
        let m0 = cd_heap_in_use()
        var n = 100_000
        for _ in 0..<10 {
            var items: [Received] = []
            items.reserveCapacity(10_000)
            for _ in 0..<10_000 {
                if let e = frame(n) { items.append(Received(envelope: e, endpoint: 0, receivedAt: e.timestamp)) }
                n += 1
            }
            _ = update(&model, .batch(Batch(items: items, dropped: 0, backlog: 0), [], at: t0.adding(millis: Int64(n))))
        }
        let m1 = cd_heap_in_use()
        withExtendedLifetime((queue, model)) {}
        return Result(queueMB: Double(Int(q1) - Int(q0)) / mb, modelMB: Double(Int(m1) - Int(m0)) / mb)
    }
}
