import ClusterState

/// The replica Sentinel will most likely promote: not down, priority not 0;
/// the lowest priority, then the largest offset (the fewest bytes behind),
/// then the first by name (Sentinel breaks the last tie by run id). One rule
/// for the connector's answer and the dialog's preview.
public enum SentinelChoice {
    public struct Replica: Sendable {
        public var id: String
        public var healthy: Bool
        /// `replica-priority`; nil when not known (Sentinel's default is 100).
        public var priority: Int?
        public var lagBytes: Int64?

        public init(id: String, healthy: Bool, priority: Int?, lagBytes: Int64?) {
            self.id = id
            self.healthy = healthy
            self.priority = priority
            self.lagBytes = lagBytes
        }
    }

    public static func likely(_ replicas: [Replica]) -> String? {
        replicas.filter { $0.healthy && $0.priority != 0 }.min { a, b in
            let (pa, pb) = (a.priority ?? 100, b.priority ?? 100)
            if pa != pb { return pa < pb }
            let (la, lb) = (a.lagBytes ?? .max, b.lagBytes ?? .max)
            if la != lb { return la < lb }
            return naturalLess(a.id, b.id)
        }?.id
    }
}
