import ClusterProtocol
import Foundation
import NATSClient
import NATSStreamSource

/// How `--publish` puts a stream on NATS JetStream.
public struct NATSPublishConfig: Sendable {
    public var servers: [NATSAddress]
    public var subjects: ClusterSubjects
    public var credentials = NATSCredentials()
    /// Stream replicas (1-5; more than the NATS cluster has is refused by JetStream).
    public var replicas = 3
    /// Events older than this are dropped by JetStream (a snapshot is published often enough to stay).
    public var maxAge: Duration = .seconds(3_600)
    public var maxBytes: Int64 = 64 << 20
    /// A fresh snapshot at least this often (and whenever publishing starts).
    public var snapshotEvery: Duration = .seconds(10)
    /// Envelopes published but not yet acknowledged, at most.
    public var window = 10_000
    /// After a message is published, what comes within this long is
    /// gathered and goes as one message when it is over (at most
    /// `StoredBatch.maxEvents`; the first event after a quiet spell goes at
    /// once). JetStream's cost, and a reader's, is per message: at 500
    /// events/s 10 ms makes about five envelopes one message.
    public var linger: Duration = .milliseconds(10)
    /// Envelopes (and bytes of them) held while JetStream cannot store
    /// them (no stream leader, no quorum, the lease not renewed), at most:
    /// stored in order once it can; past either bound they are dropped and
    /// readers show the stretch as lost. 100,000 is over five minutes of a
    /// busy cluster (300 events/s).
    public var holdLimit = 100_000
    public var holdBytes = 64 << 20
    /// How long the active gateway's lease lives unrenewed: it renews it
    /// every sixth of this; a standby takes over once it lapses.
    public var lease: Duration = .seconds(6)
    /// Refuse every command that comes by NATS.
    public var readOnly = false
    /// This publisher's name in the lease and the logs.
    public var instance = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

    public init(servers: [NATSAddress], subjects: ClusterSubjects) {
        self.servers = servers
        self.subjects = subjects
    }

    /// The stream's configuration for JetStream.
    var streamConfig: [String: Any] {
        [
            "name": subjects.stream, "subjects": [subjects.events, subjects.snapshot], "retention": "limits", "storage": "file",
            "num_replicas": replicas, "max_age": JetStream.nanos(maxAge), "max_bytes": maxBytes, "discard": "old",
            "duplicate_window": JetStream.nanos(.seconds(120)), "max_msg_size": EnvelopeCodec.maxFrameBytes,
        ]
    }

    /// The stream of every cluster's lease.
    public static let leaseStream = ClusterSubjects.leaseStream

    /// The leases' stream: one message per cluster, gone after `lease`.
    var leaseStreamConfig: [String: Any] {
        [
            "name": Self.leaseStream, "subjects": ["clusterdash.*.active"], "retention": "limits", "storage": "memory",
            "num_replicas": replicas, "max_age": JetStream.nanos(lease), "max_msgs_per_subject": 1, "discard": "old",
            "duplicate_window": JetStream.nanos(.seconds(1)),
        ]
    }
}

/// What the publisher has done, for the logs and the tests.
public struct NATSPublisherStats: Sendable, Equatable {
    /// Envelopes published (each once, however often it went again).
    public var published = 0
    /// Stored messages they went in (consecutive envelopes share one).
    public var messages = 0
    /// Envelopes JetStream acknowledged, each once (counted as it leaves the window).
    public var acknowledged = 0
    public var duplicates = 0
    public var republished = 0
    public var snapshots = 0
    public var publishErrors = 0
    /// Publishes refused because one before them was not stored (sent
    /// again, in order, from the first not stored).
    public var refusedOutOfOrder = 0
    public var connections = 0
    public var commands = 0
    /// Publishes JetStream answered "no responders" (no stream leader).
    public var noResponders = 0
    /// Nothing is published until the stream has a leader again.
    public var awaitingStreamLeader = false
    /// Envelopes held now because JetStream cannot store them, and since when.
    public var held = 0
    public var heldSince: Timestamp?
    /// Envelopes that came past the hold's bound in this stretch (lost).
    public var heldPastBound = 0
    /// The last stretch lost past the bound, and all events lost so.
    public var lostFrom: Timestamp?
    public var lostTo: Timestamp?
    public var lostEvents = 0
    /// Every stretch lost, oldest first (the last 16): what readers show as
    /// missing, window by window.
    public var lostWindows: [LostWindow] = []
    /// Envelopes waiting for an acknowledgement now.
    public var unacknowledged = 0
    /// Epochs begun (1 for a publisher that never lost its place).
    public var epochs = 0
    public var active = false
    /// The NATS server connected to now, if any.
    public var server: String?
    public var lastError: String?
}

extension NATSPublisherStats {
    /// Events passed over for a new epoch's snapshot (made before it, read
    /// after it was asked for) after a loss: readers miss them too, so they
    /// belong to the window that loss opened, not only to the total (a
    /// reader once counted 300 more missing than the window said).
    mutating func countPassedOver(_ events: Int) {
        guard events > 0 else { return }
        lostEvents += events
        if var last = lostWindows.popLast() {
            last.events += events
            lostWindows.append(last)
        }
    }

    /// As the gateway's `/stats` shows it (`nats_publisher`).
    public var json: JSONValue {
        var b = ObjectBuilder()
        b.put("active", active)
        b.put("server", server)
        b.put("published", published)
        b.put("messages", messages)
        b.put("acknowledged", acknowledged)
        b.put("unacknowledged", unacknowledged)
        b.put("republished", republished)
        b.put("duplicates", duplicates)
        b.put("snapshots", snapshots)
        b.put("epochs", epochs)
        b.put("connections", connections)
        b.put("awaiting_stream_leader", awaitingStreamLeader)
        b.put("held", held)
        b.put("held_since", heldSince)
        b.put("held_past_bound", heldPastBound)
        b.put("lost_from", lostFrom)
        b.put("lost_to", lostTo)
        b.put("lost_events", lostEvents)
        b.put(
            "lost_windows",
            .array(
                lostWindows.map { w in
                    var o = ObjectBuilder()
                    o.put("from", w.from)
                    o.put("to", w.to)
                    o.put("events", w.events)
                    return o.value
                }))
        b.put("no_responders", noResponders)
        b.put("publish_errors", publishErrors)
        b.put("refused_out_of_order", refusedOutOfOrder)
        b.put("last_error", lastError)
        return b.value
    }
}

/// One stretch of history a publisher could not store: from its first
/// event lost to the new epoch's snapshot.
public struct LostWindow: Sendable, Hashable {
    public var from: Timestamp
    public var to: Timestamp
    public var events: Int

    public init(from: Timestamp, to: Timestamp, events: Int) {
        self.from = from
        self.to = to
        self.events = events
    }
}
