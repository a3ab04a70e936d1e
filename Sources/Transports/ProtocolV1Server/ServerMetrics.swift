import EventSources
import Prometheus
import Synchronization

/// A metric `/metrics` shows: its name, help, kind and label names, defined
/// once (the registry traps on a name used two ways).
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A total that only grows (`rate()` gives it per second).
        case counter
        case gauge
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let labels: [String]

    public init(_ name: String, _ kind: Kind, labels: [String] = [], help: String) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labels = labels
    }
}

/// One value of a metric now: a counter's total or a gauge's level, with
/// its labels' values (as many as the definition names).
public struct MetricSample: Sendable {
    public let metric: MetricDefinition
    public let labelValues: [String]
    public let value: Int64

    public init(_ metric: MetricDefinition, _ labelValues: [String] = [], _ value: Int64) {
        self.metric = metric
        self.labelValues = labelValues
        self.value = value
    }

    public init(_ metric: MetricDefinition, _ value: Int) { self.init(metric, [], Int64(value)) }

    public init(_ metric: MetricDefinition, _ value: Bool) { self.init(metric, [], value ? 1 : 0) }
}

/// A server's Prometheus metrics (`GET /metrics`, the text format): its own
/// counts, the engine's endpoints and how long its polls take, and what
/// `more` adds (the NATS publisher's). Values are read when scraped; the
/// totals kept elsewhere become counters here.
public final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// One scrape at a time: a counter is set (reset, then its total) and
    /// emitted under this lock.
    private let scraping = Mutex(())
    private let source: (any EventSource)?
    private let more: @Sendable () -> [MetricSample]

    /// Poll durations' buckets: a poll on loopback takes milliseconds, one
    /// that waits on a dead member its timeout (seconds).
    static let pollBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000].map { .milliseconds($0) }

    /// Metrics of a server relaying `source` (nil for the simulator) and
    /// of whatever `more` reports.
    public init(source: (any EventSource)?, more: @escaping @Sendable () -> [MetricSample] = { [] }) {
        self.source = source
        self.more = more
        // Only a source that polls has polls to time (a stream has none).
        if let driver = source?.pollDriver {
            let histogram = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    metricName: "clusterdash_engine_poll_duration_seconds", unitName: "",
                    helpText: "How long each poll of the engine took (all its members asked)."),
                buckets: Self.pollBuckets)
            driver.observePolls { histogram.record($0) }
        }
    }

    /// The text `/metrics` answers with now.
    public func scrape<Engine: ServedEngine>(_ core: StreamCore<Engine>) async -> String {
        var samples = Self.samples(await core.stats, subscribers: await core.activeSubscriptions)
        if let source { samples += Self.samples(of: source) }
        samples += more()
        return emit(samples)
    }

    /// `samples` set in the registry, and the whole registry in the text format.
    func emit(_ samples: [MetricSample]) -> String {
        scraping.withLock { _ in
            for s in samples where s.labelValues.count == s.metric.labels.count {
                let labels = Array(zip(s.metric.labels, s.labelValues))
                let descriptor = MetricNameDescriptor(metricName: s.metric.name, unitName: "", helpText: s.metric.help)
                switch s.metric.kind {
                case .counter:
                    let counter = registry.makeCounter(descriptor: descriptor, labels: labels)
                    counter.reset()
                    counter.increment(by: max(0, s.value))
                case .gauge:
                    registry.makeGauge(descriptor: descriptor, labels: labels).set(s.value)
                }
            }
            return registry.emitToString()
        }
    }

    /// The server's own counts.
    static func samples<Engine: ServedEngine>(_ s: StreamCore<Engine>.Stats, subscribers: Int) -> [MetricSample] {
        var out = [
            MetricSample(ServerMetricNames.subscribers, subscribers),
            MetricSample(ServerMetricNames.subscriptions, s.subscriptions),
            MetricSample(ServerMetricNames.eventsBroadcast, s.eventsBroadcast),
            MetricSample(ServerMetricNames.snapshotsSent, s.snapshotsSent),
            MetricSample(ServerMetricNames.replays, s.replays),
            MetricSample(ServerMetricNames.framesReceived, s.framesReceived),
            MetricSample(ServerMetricNames.commandsReceived, s.commandsReceived),
            MetricSample(ServerMetricNames.slowSubscribersDropped, s.droppedSlowSubscribers),
        ]
        for (status, n) in s.commandResults.sorted(by: { $0.key < $1.key }) {
            out.append(MetricSample(ServerMetricNames.commandResults, [status], Int64(n)))
        }
        return out
    }

    /// The engine's endpoints, by name: up or not, answers, failures,
    /// answers that could not be read.
    static func samples(of source: any EventSource) -> [MetricSample] {
        let stats = source.stats
        var out: [MetricSample] = []
        for (i, (name, status)) in zip(source.endpointNames, source.statuses).enumerated() {
            out.append(MetricSample(ServerMetricNames.endpointUp, [name], status.isLive ? 1 : 0))
            guard stats.indices.contains(i) else { continue }
            out.append(MetricSample(ServerMetricNames.endpointAnswers, [name], Int64(stats[i].frames)))
            out.append(MetricSample(ServerMetricNames.endpointFailures, [name], Int64(stats[i].failures)))
            out.append(MetricSample(ServerMetricNames.endpointDecodeErrors, [name], Int64(stats[i].decodeErrors)))
        }
        return out
    }
}

/// The server's and the engine's metrics, defined once.
enum ServerMetricNames {
    static let subscribers = MetricDefinition("clusterdash_subscribers", .gauge, help: "Subscribers connected now.")
    static let subscriptions = MetricDefinition("clusterdash_subscriptions_total", .counter, help: "Subscriptions made since start.")
    static let eventsBroadcast = MetricDefinition(
        "clusterdash_events_broadcast_total", .counter, help: "Events served to every subscriber (rate() of it: events per second).")
    static let snapshotsSent = MetricDefinition("clusterdash_snapshots_sent_total", .counter, help: "Snapshots sent to subscribers.")
    static let replays = MetricDefinition("clusterdash_replays_total", .counter, help: "Subscriptions resumed from the replay buffer.")
    static let framesReceived = MetricDefinition("clusterdash_client_frames_total", .counter, help: "Frames received from clients, of any kind.")
    static let commandsReceived = MetricDefinition(
        "clusterdash_commands_received_total", .counter, help: "Command frames (promote, migrate, ...) received from clients.")
    static let commandResults = MetricDefinition(
        "clusterdash_command_results_total", .counter, labels: ["status"], help: "Command results, by status (accepted, completed, ...).")
    static let slowSubscribersDropped = MetricDefinition(
        "clusterdash_slow_subscribers_dropped_total", .counter, help: "Subscribers dropped for reading too slowly.")
    static let endpointUp = MetricDefinition(
        "clusterdash_engine_endpoint_up", .gauge, labels: ["endpoint"], help: "1 while the engine's endpoint answers, else 0.")
    static let endpointAnswers = MetricDefinition(
        "clusterdash_engine_answers_total", .counter, labels: ["endpoint"], help: "Answers (or frames) read from the engine's endpoint.")
    static let endpointFailures = MetricDefinition(
        "clusterdash_engine_failures_total", .counter, labels: ["endpoint"], help: "Asks of the engine's endpoint that got no usable answer.")
    static let endpointDecodeErrors = MetricDefinition(
        "clusterdash_engine_decode_errors_total", .counter, labels: ["endpoint"], help: "Answers from the engine's endpoint that could not be read.")
}
