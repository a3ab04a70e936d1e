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
    public var published = 0
    public var acknowledged = 0
    public var duplicates = 0
    public var republished = 0
    public var snapshots = 0
    public var publishErrors = 0
    public var connections = 0
    public var commands = 0
    /// Publishes JetStream answered "no responders" (no stream leader).
    public var noResponders = 0
    /// Nothing is published until the stream has a leader again.
    public var awaitingStreamLeader = false
    /// Envelopes waiting for an acknowledgement now.
    public var unacknowledged = 0
    /// Epochs begun (1 for a publisher that never lost its place).
    public var epochs = 0
    public var active = false
    /// The NATS server connected to now, if any.
    public var server: String?
    public var lastError: String?
}
