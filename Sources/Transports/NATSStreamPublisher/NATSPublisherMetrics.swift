import ProtocolV1Server

/// The NATS publisher's state as `/metrics` shows it beside the gateway's
/// own: what JetStream acknowledged, what waits, what was lost.
extension NATSPublisherStats {
    public var metricSamples: [MetricSample] {
        typealias M = NATSPublisherMetricNames
        return [
            MetricSample(M.active, active),
            MetricSample(M.published, published),
            MetricSample(M.acknowledged, acknowledged),
            MetricSample(M.unacknowledged, unacknowledged),
            MetricSample(M.republished, republished),
            MetricSample(M.held, held),
            MetricSample(M.awaitingStreamLeader, awaitingStreamLeader),
            MetricSample(M.lostEvents, lostEvents),
            MetricSample(M.epochs, epochs),
            MetricSample(M.publishErrors, publishErrors),
            MetricSample(M.connections, connections),
        ]
    }
}

/// The publisher's metrics, defined once.
enum NATSPublisherMetricNames {
    static let active = MetricDefinition(
        "clusterdash_nats_publisher_active", .gauge, help: "1 while this gateway holds the publishing lease, else 0.")
    static let published = MetricDefinition(
        "clusterdash_nats_published_events_total", .counter, help: "Events published to JetStream (each once, however often sent).")
    static let acknowledged = MetricDefinition(
        "clusterdash_nats_acknowledged_events_total", .counter, help: "Events JetStream acknowledged as stored.")
    static let unacknowledged = MetricDefinition(
        "clusterdash_nats_unacknowledged_events", .gauge, help: "Events sent and not yet acknowledged (pending).")
    static let republished = MetricDefinition(
        "clusterdash_nats_republished_total", .counter, help: "Messages sent again for want of an acknowledgement.")
    static let held = MetricDefinition(
        "clusterdash_nats_held_events", .gauge, help: "Events held while JetStream cannot store them.")
    static let awaitingStreamLeader = MetricDefinition(
        "clusterdash_nats_awaiting_stream_leader", .gauge, help: "1 while the stream has no leader to store what is published.")
    static let lostEvents = MetricDefinition(
        "clusterdash_nats_lost_events_total", .counter, help: "Events that could not be stored (readers show their windows as lost).")
    static let epochs = MetricDefinition("clusterdash_nats_epochs_total", .counter, help: "Publishing epochs begun (1 without a loss).")
    static let publishErrors = MetricDefinition("clusterdash_nats_publish_errors_total", .counter, help: "Publishes JetStream refused.")
    static let connections = MetricDefinition("clusterdash_nats_connections_total", .counter, help: "Connections made to NATS servers.")
}
