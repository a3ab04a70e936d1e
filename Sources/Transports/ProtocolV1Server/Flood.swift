import ClusterProtocol
import EventSources
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// Where one connection's flood ended: what a client that kept up (or
/// resynchronised) must hold.
public struct FloodOutcome: Sendable, Equatable {
    /// Lag samples sent.
    public var events: Int
    /// Snapshot requests the flood answered.
    public var snapshots: Int
    /// The last seq of every source, the flood's included.
    public var seqs: [String: Int64]
    /// Each follower's last lag sample.
    public var lagMillis: [String: Int64]

    /// `flood ended events=N snapshots=K lag=node-2:123,… seqs=node-1:17,…`:
    /// the line `clusterdash sim` prints (scripts/flood-figures reads it).
    public var line: String {
        func pairs(_ d: [String: Int64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") }
        return "flood ended events=\(events) snapshots=\(snapshots) lag=\(pairs(lagMillis)) seqs=\(pairs(seqs))"
    }
}

/// A flood connection's snapshot requests (`snapshot`, or `subscribe` again).
final class FloodAsks: Sendable {
    private let asked = Atomic<Int>(0)
    func ask() { asked.add(1, ordering: .relaxed) }
    /// Whether any request came since the last call.
    func take() -> Bool { asked.exchange(0, ordering: .relaxed) > 0 }
}

extension Session {
    /// `--flood`: after the snapshot, replication lag samples for every
    /// follower as fast as the socket takes them, seqs continuing from the
    /// snapshot. Frames are built straight into buffers and written in
    /// batches with one flush each; the channel's writability is the brake.
    /// A snapshot request is answered between batches, in order: the
    /// simulator's snapshot with the flood's seqs and each follower's last
    /// lag. After `floodDuration` the samples stop, the outcome is reported,
    /// and snapshot requests are still answered. Commands are not answered
    /// in this mode (it exists for benchmarks and the flood figures).
    func flood(stream: AsyncStream<[String]>, outbound: WebSocketOutboundWriter) async throws {
        var iterator = stream.makeAsyncIterator()
        if let first = await iterator.next() {
            for text in first { try await outbound.write(.text(text)) }
        }
        // Seqs continue from the simulator's; ids are the flood's own.
        var stamper = EnvelopeStamper(idPrefix: "flood-\(UInt32.random(in: 0...UInt32.max))-", seqs: await core.seqs)
        let leader = await core.primary ?? "node-1"
        let followers = await core.nodeIDs.filter { $0 != leader }
        guard !followers.isEmpty else { return }
        let base = await core.snapshot(covering: node.map { [$0] }, source: node)
        var last: [String: Int64] = [:]
        var sent = 0
        var snapshots = 0
        let ends = options.floodDuration.map { ContinuousClock.now.advanced(by: $0) }
        var ended = false
        var k = 0
        let batchSize = 256
        let allocator = channel.allocator
        while !Task.isCancelled, channel.isActive {
            if floodAsks.take(), let base, let text = Self.amend(base, stamper: &stamper, lags: last) {
                snapshots += 1
                try await outbound.write(.text(text))
            }
            if ended || !channel.isWritable {
                try await Task.sleep(for: ended ? .milliseconds(10) : .microseconds(200))
                continue
            }
            if let ends, ContinuousClock.now >= ends {
                ended = true
                options.floodEnded?(FloodOutcome(events: sent, snapshots: snapshots, seqs: stamper.seqs, lagMillis: last))
                continue
            }
            let ts = wallClockNow().rfc3339
            var frames: [WebSocketFrame] = []
            frames.reserveCapacity(batchSize)
            for _ in 0..<batchSize {
                k = (k + 1) % followers.count
                let node = followers[k]
                let seq = stamper.nextSeq(from: node)
                let id = stamper.nextID()
                // Under a second, so the screen shows it to the millisecond.
                let lag = Int64(stamper.counter % 997)
                last[node] = lag
                var b = allocator.buffer(capacity: 256)
                b.writeString(#"{"v":1,"id":""#)
                b.writeString(id)
                b.writeString(#"","source":""#)
                b.writeString(node)
                b.writeString(#"","seq":"#)
                b.writeString(String(seq))
                b.writeString(#","ts":""#)
                b.writeString(ts)
                b.writeString(#"","type":"replication.lag","correlation_id":null,"causation_id":null,"data":{"follower":""#)
                b.writeString(node)
                b.writeString(#"","leader":""#)
                b.writeString(leader)
                b.writeString(#"","lag_ms":"#)
                b.writeString(String(lag))
                b.writeString(#","lag_entries":"#)
                b.writeString(String(lag / 4))
                b.writeString(#","wal_position":"#)
                b.writeString(String(stamper.counter))
                b.writeString("}}")
                frames.append(WebSocketFrame(fin: true, opcode: .text, data: b))
            }
            sent += batchSize
            let channel = self.channel
            let batch = frames
            try await channel.eventLoop.submit {
                for f in batch { channel.write(f, promise: nil) }
                channel.flush()
            }.get()
        }
    }

    /// The simulator's snapshot as the flood has moved it on: the flood's
    /// seqs (for the sources it covers) and each follower's last lag.
    static func amend(_ base: Envelope, stamper: inout EnvelopeStamper, lags: [String: Int64]) -> String? {
        guard case .snapshot(var data) = base.event else { return nil }
        data.seqs = stamper.seqs.filter { data.seqs[$0.key] != nil || lags[$0.key] != nil }
        data.nodes = data.nodes.map { n in
            var n = n
            if let lag = lags[n.id] { n.lagMillis = lag }
            return n
        }
        let e = Envelope(
            id: stamper.nextID(), source: base.source, seq: stamper.seqs[base.source] ?? 0, timestamp: wallClockNow(), event: .snapshot(data))
        return EnvelopeCodec.encodeString(e)
    }
}
