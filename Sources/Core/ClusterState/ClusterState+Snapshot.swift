import ClusterProtocol

extension ClusterState {
    /// The state as one `cluster.snapshot`'s data: what a gateway gives a
    /// subscriber that cannot resume. It holds exactly what was applied (the
    /// seqs included), so the events that follow continue it. Members that
    /// left are not in it (a snapshot lists the members there are); a byte
    /// lag is the newest sample; histories (lag, log) are not carried.
    /// Nil before the first snapshot.
    public func snapshotData() -> ClusterSnapshot? {
        guard hasSnapshot, let clusterName else { return nil }
        let present = nodeOrder.compactMap { id -> NodeInfo? in
            guard let record = nodes[id], record.isPresent else { return nil }
            var info = record.info
            if let f = followers[id], f.unit == .counted, let state = f.lagState {
                var engine = info.engine ?? EngineNodeInfo()
                engine.lagBytes = f.lagBytes
                engine.lagState = state
                info.engine = engine
            }
            return info
        }
        return ClusterSnapshot(
            cluster: clusterName, term: term, leader: leader, nodes: present,
            assignment: assignment.map { AssignmentTable(version: $0.version, strategy: $0.strategy, partitions: $0.partitions) },
            migrations: migrations.storage.values.map(\.info).sorted { $0.migrationID < $1.migrationID },
            tenants: tenants.sorted { $0.key < $1.key }.map { TenantPlacement(tenant: $0.key, region: $0.value) },
            seqs: seqs, engine: engine, history: engineHistory.isEmpty ? nil : FailoverHistory(entries: engineHistory))
    }
}
