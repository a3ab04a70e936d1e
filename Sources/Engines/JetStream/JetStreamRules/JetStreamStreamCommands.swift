import ClusterProtocol
import ClusterState
import JetStreamProtocol

/// The checks and requests of the commands on one stream: its leader's
/// step-down (`step_down`) and its move to the servers of a placement tag
/// (`migrate`). Pure: decided on the last poll's facts; nats-server's own
/// answer stays the word that counts.
public enum JetStreamStreamCommands {
    /// Why `stream`'s leader should not be asked to step down, from its
    /// leader's own view; nil when it can. A peer unheard for
    /// `downAfterNanos` counts as gone, whatever `current` says.
    public static func stepDownRefusal(_ observed: ObservedStream?, named name: String, downAfterNanos: Int64) -> String? {
        guard let observed else { return "\(name) is not among the streams of the last poll (deleted?)" }
        guard let group = observed.stream.group else { return "\(name) is not clustered: it has no raft group and no leader to step down" }
        guard let leader = group.leader else {
            return "\(name) has no leader now (an election is under way, or its server is down): nothing to step down"
        }
        guard observed.fromLeader else { return "\(leader)'s own view of \(name) is not in the last poll: its replicas' state is unknown" }
        let others = group.replicas.filter { $0.name != leader }
        guard !others.isEmpty else { return "\(name) is R1: no other server holds it, so no other can lead it" }
        let ready = others.filter { $0.current && !$0.offline && ($0.activeNanos ?? 0) < downAfterNanos }
        guard !ready.isEmpty else {
            let states = others.map { p in
                if p.offline { return "\(p.name) shut down" }
                if let a = p.activeNanos, a >= downAfterNanos { return "\(p.name) unheard for \(a / 1_000_000_000) s" }
                return "\(p.name) \(formatLagCount(Int64(clamping: p.lag), unit: JetStreamRules.lagUnit)) behind"
            }
            return "no replica of \(name) is current (\(states.joined(separator: ", "))): a new leader could not take over"
        }
        return nil
    }

    /// The stream's config as `STREAM.INFO` gave it, with its placement
    /// set to `tag` (the placement's cluster kept); every other field as it was.
    public static func movedConfig(_ config: JSONObject, toTag tag: String) -> JSONObject {
        var placement = JSONObject()
        if let cluster = config["placement"]?.objectValue?["cluster"] { placement.append("cluster", cluster) }
        placement.append("tags", .array([.string(tag)]))
        var out = JSONObject(config.fields.filter { $0.key != "placement" })
        out.append("placement", .object(placement))
        return out
    }

    /// Why `stream` cannot be moved to `tag` now (nats-server refuses a
    /// placement it cannot meet itself, with its words); nil when a move
    /// can be asked. `tags` are every server's tags.
    public static func moveRefusal(
        _ observed: ObservedStream?, named name: String, toTag tag: String, tags: [String: [String]], unknown: [String] = []
    ) -> String? {
        guard let observed else { return "\(name) is not among the streams of the last poll (deleted?)" }
        guard observed.stream.group?.leader != nil else {
            return "\(name) has no leader now: nats-server cannot change its placement until it has one"
        }
        let carriers = tags.filter { $0.value.contains(tag) }.keys.sorted()
        // A server that has not answered yet may carry it: nats-server decides.
        if carriers.isEmpty, unknown.isEmpty {
            let known = Set(tags.values.joined()).sorted()
            return "no server carries the tag \(tag) (tags seen: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        }
        let peers = observed.stream.group?.peers ?? []
        if observed.stream.placementTags == [tag], !peers.isEmpty, peers.allSatisfy(carriers.contains) {
            return "\(name) is already placed on \(tag) (\(peers.joined(separator: ", ")))"
        }
        return nil
    }

    /// How far a move of a stream to the servers of `tag` has come, from
    /// the leader's own view.
    public static func moveProgress(_ observed: ObservedStream?, toTag tag: String, tags: [String: [String]]) -> StreamMoveProgress {
        guard let observed, let group = observed.stream.group else {
            return StreamMoveProgress(done: false, phase: "adding_peers", peers: [], newPeers: [], behind: nil)
        }
        let carriers = Set(tags.filter { $0.value.contains(tag) }.keys)
        let peers = group.peers
        let wanted = observed.stream.numReplicas ?? max(1, peers.count)
        let placed = peers.filter(carriers.contains)
        let newPeers = placed.filter { $0 != group.leader }
        let behind: UInt64? =
            observed.fromLeader ? group.replicas.filter { placed.contains($0.name) }.map(\.lag).max() ?? 0 : nil
        let leadsThere = group.leader.map(carriers.contains) == true
        let done = peers.count == wanted && placed.count == wanted && leadsThere && group.replicas.allSatisfy(\.current)
        let phase: String
        if placed.count < wanted {
            phase = "adding_peers"
        } else if group.replicas.contains(where: { placed.contains($0.name) && !$0.current }) {
            phase = "catching_up"
        } else if !leadsThere {
            phase = "handing_over"
        } else {
            phase = "removing_old_peers"
        }
        return StreamMoveProgress(done: done, phase: phase, peers: peers, newPeers: newPeers, behind: behind)
    }
}

/// A stream move seen in one poll.
public struct StreamMoveProgress: Sendable, Hashable {
    /// Its peers are exactly `num_replicas` servers of the tag, one of them
    /// leading, every replica current.
    public var done: Bool
    /// Where it stands, as a migration phase: `adding_peers` (fewer of the
    /// tag's servers than replicas), `catching_up` (one of them behind),
    /// `handing_over` (all caught up, the leader still an old peer),
    /// `removing_old_peers` (led from the tag, old peers not yet gone).
    public var phase: String
    /// Every peer now, the leader first.
    public var peers: [String]
    /// Peers on the tag's servers that do not lead (catching up, or caught up).
    public var newPeers: [String]
    /// The most raft entries a peer on the tag's servers is behind (nil:
    /// the leader's view is not at hand).
    public var behind: UInt64?
}
