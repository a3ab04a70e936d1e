import ClusterProtocol
import ClusterSim
import EventSources
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

extension Session {
    /// `--flood`: after the snapshot, replication lag samples for every
    /// follower as fast as the socket takes them, seqs continuing from the
    /// snapshot. Frames are built straight into buffers and written in
    /// batches with one flush each; the channel's writability is the brake.
    /// Commands are not answered in this mode (it exists for benchmarks).
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
        var k = 0
        let batchSize = 256
        let allocator = channel.allocator
        while !Task.isCancelled, channel.isActive {
            if !channel.isWritable {
                try await Task.sleep(for: .microseconds(200))
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
                let lag = Int64(stamper.counter % 5_000)
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
            let channel = self.channel
            let batch = frames
            try await channel.eventLoop.submit {
                for f in batch { channel.write(f, promise: nil) }
                channel.flush()
            }.get()
        }
    }
}
