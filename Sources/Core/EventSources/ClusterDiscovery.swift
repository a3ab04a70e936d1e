/// A source that finds clusters, each read by a source of its own (the
/// fleet). As an `EventSource` it carries nothing itself: its status is the
/// discovery's.
public protocol ClusterDiscovery: EventSource {
    /// The clusters found so far, with their sources.
    var clusterSources: [String: any EventSource] { get }
    /// What the discovery is doing, in words, for a fleet with nothing to list
    /// (looking, its servers unreachable, clusters left out past its limit).
    var discoveryStatus: String { get }
}
