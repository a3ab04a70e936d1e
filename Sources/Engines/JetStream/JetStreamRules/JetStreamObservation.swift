import ClusterProtocol
import JetStreamProtocol

/// What one poll of a NATS JetStream cluster gathered.
public struct JetStreamObservation: Sendable, Hashable {
    /// Each server's own JSZ report, by server name (system-account view).
    public var reports: [String: JetStreamServerReport]
    /// Each server's `/healthz` problem, by name; absent when healthy or not asked.
    public var health: [String: JetStreamHealth]
    /// False: no system-account rights; only `accountStreams` are known.
    public var systemView: Bool
    /// The account's streams from `STREAM.INFO` (the account view).
    public var accountStreams: [JetStreamStream]
    /// Streams whose `STREAM.INFO` got no answer (no leader), account view.
    public var unansweredStreams: [String]
    /// Why the meta leader would have changed, when we know (a command of ours).
    public var causeHint: String?

    public init(
        reports: [String: JetStreamServerReport] = [:], health: [String: JetStreamHealth] = [:], systemView: Bool = true,
        accountStreams: [JetStreamStream] = [], unansweredStreams: [String] = [], causeHint: String? = nil
    ) {
        self.reports = reports
        self.health = health
        self.systemView = systemView
        self.accountStreams = accountStreams
        self.unansweredStreams = unansweredStreams
        self.causeHint = causeHint
    }

    /// The meta leader as the answering servers name it; the most named,
    /// then the first by name (the same every poll).
    public var metaLeader: String? {
        var votes: [String: Int] = [:]
        for r in reports.values { if let l = r.meta?.leader { votes[l, default: 0] += 1 } }
        return votes.sorted { a, b in a.value != b.value ? a.value > b.value : a.key < b.key }.first?.key
    }

    /// Every stream once, each from its leader's own report (only the
    /// leader's view of its replicas is right). A stream no leader reports
    /// comes from another server's view, `fromLeader` false: its peers'
    /// figures are not to be believed, and a leader it names that answered
    /// without claiming it leads nothing.
    public var streams: [ObservedStream] {
        guard systemView else { return accountStreams.map { ObservedStream($0, fromLeader: $0.group?.leader != nil) } }
        var byName: [String: ObservedStream] = [:]
        for r in reports.values.sorted(by: { $0.name < $1.name }) {
            for s in r.streams {
                let key = s.qualifiedName
                if s.group?.leader == r.name || s.group == nil {
                    byName[key] = ObservedStream(s, fromLeader: true)
                } else if byName[key] == nil {
                    var seen = s
                    if let leader = s.group?.leader, reports[leader] != nil { seen.group?.leader = nil }
                    byName[key] = ObservedStream(seen, fromLeader: false)
                }
            }
        }
        return byName.values.sorted { $0.stream.qualifiedName < $1.stream.qualifiedName }
    }
}

/// A stream and whether its figures are its leader's own.
public struct ObservedStream: Sendable, Hashable {
    public var stream: JetStreamStream
    public var fromLeader: Bool

    public init(_ stream: JetStreamStream, fromLeader: Bool) {
        self.stream = stream
        self.fromLeader = fromLeader
    }
}
