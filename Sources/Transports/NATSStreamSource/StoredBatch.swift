import ClusterProtocol
import NATSClient

/// How consecutive envelopes share one stored message on a cluster's
/// stream (docs/PROTOCOL.md, "On NATS JetStream"): JetStream's cost is per
/// message (three file-backed replicas, an acknowledgement each), so what
/// the core serves at once to one subject goes as one message, the
/// envelopes' JSON one per line. The header `Clusterdash-Events: N` says
/// how many; a message without it is one envelope, as before batching.
public enum StoredBatch {
    public static let eventsHeader = "Clusterdash-Events"
    /// At most this many envelopes in one message...
    public static let maxEvents = 256
    /// ...and this many bytes (far under NATS's default 1 MiB payload).
    public static let maxBytes = 256 * 1024

    /// Whether an envelope's text can share a message: JSON with no line
    /// feed in it (ours never has one: strings escape theirs), and small
    /// enough.
    public static func canJoin(_ payload: [UInt8]) -> Bool {
        payload.count < maxBytes && !payload.contains(10)
    }

    /// The headers of a stored message of `events` envelopes: its id (the
    /// first envelope's, then `+N` for a batch: a batch is published again
    /// only as it was, so the same id is the same batch), the epoch, and
    /// the count.
    public static func headers(firstID: String, events: Int, epoch: String) -> [NATSHeader] {
        guard events > 1 else { return [NATSHeader("Nats-Msg-Id", firstID), NATSHeader(NATSSource.epochHeader, epoch)] }
        return [
            NATSHeader("Nats-Msg-Id", "\(firstID)+\(events)"), NATSHeader(NATSSource.epochHeader, epoch),
            NATSHeader(eventsHeader, String(events)),
        ]
    }

    /// The envelopes of a stored message, in order, each decoded or its
    /// error. `count` is the header's value (nil: one envelope); a batch
    /// with fewer or more lines than it says is an error at its end.
    public static func envelopes(in payload: [UInt8], count: Int?) -> [Result<Envelope, ProtocolError>] {
        guard let count else { return [Result { () throws(ProtocolError) in try EnvelopeCodec.decode(payload) }] }
        var out: [Result<Envelope, ProtocolError>] = []
        out.reserveCapacity(min(max(count, 1), maxEvents))
        payload.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                let end = raw[start...].firstIndex(of: 10) ?? raw.count
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                out.append(Result { () throws(ProtocolError) in try EnvelopeCodec.decode(line) })
                start = end + 1
            }
        }
        if out.count != count {
            out.append(.failure(ProtocolError(.invalidValue, "a batch of \(out.count) envelopes says it holds \(count)")))
        }
        return out
    }
}
