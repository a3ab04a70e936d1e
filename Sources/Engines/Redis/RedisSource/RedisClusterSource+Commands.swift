import ClusterProtocol
import ClusterState
import EventSources

extension RedisClusterSource {
    /// Takes `promote` (`CLUSTER FAILOVER` on the replica), `migrate` (a
    /// slot moved for real) and `cancel_migration`; a read-only source
    /// refuses each at once with a `command.result` that says why.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "Redis Cluster", readOnly: config.readOnly, accepts: ["promote", "migrate", "cancel_migration"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        switch op {
        case .promote(_, let node, let mode):
            guard mode == nil || mode == "force" || mode == "takeover" else {
                result(requestID, "promote", .rejected, "CLUSTER FAILOVER has no mode \(mode?.prefix(20) ?? ""): force or takeover")
                return true
            }
            Task { await self.promote(requestID: requestID, candidate: node, mode: mode) }
        case .migrate(_, let tenant, let target, let dryRun):
            Task { await self.migrate(requestID: requestID, tenant: tenant, target: target, dryRun: dryRun) }
        case .cancelMigration(_, let migrationID):
            cancel(requestID: requestID, migrationID: migrationID)
        case .subscribe, .snapshot, .stepDown:
            return false
        }
        return true
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        emit([.commandResult(CommandResult(requestID: requestID, op: op, status: status, reason: reason))], correlation: requestID)
    }

    /// A node of the last poll by its name, address or node id (a prefix of
    /// 8 characters or more will do).
    static func node(_ name: String, in poll: PolledCluster) -> NodeInfo? {
        poll.nodes.first { $0.id == name || $0.address == name }
            ?? poll.nodes.first { n in
                guard let id = n.engine?.tag("node_id") else { return false }
                return id == name || (name.count >= 8 && id.hasPrefix(name))
            }
    }

    // MARK: Failover

    /// `CLUSTER FAILOVER` on the replica: plain while its master is up (no
    /// write lost), `FORCE` when it is down (or asked), `TAKEOVER` only when
    /// asked (no vote at all).
    func promote(requestID: String, candidate: String, mode: String?) async {
        guard let poll = shared.withLock({ $0.differ.lastPoll }) else {
            return result(requestID, "promote", .rejected, "nothing is known of the cluster yet")
        }
        guard let n = Self.node(candidate, in: poll) else {
            return result(requestID, "promote", .rejected, "\(candidate) is not a node of the cluster")
        }
        guard n.role == .replica, let address = n.address else {
            return result(requestID, "promote", .rejected, "\(n.id) is not a replica: CLUSTER FAILOVER is sent to a replica")
        }
        let master = poll.nodes.first { $0.role == .primary && $0.engine?.shard == n.engine?.shard }
        let masterDown = master.map { $0.health == .unhealthy } ?? true
        let command =
            mode == "takeover"
            ? ["CLUSTER", "FAILOVER", "TAKEOVER"] : mode == "force" || masterDown ? ["CLUSTER", "FAILOVER", "FORCE"] : ["CLUSTER", "FAILOVER"]
        let words = command.joined(separator: " ")
        let now = clock()
        shared.withLock { $0.causeHint = ("failover to \(n.id) requested from clusterdash (\(words))", now.adding(millis: 60_000)) }
        emit(
            [.promotionRequested(PromotionRequested(requestID: requestID, candidate: n.id, requestedBy: "clusterdash (\(words))"))],
            correlation: requestID)
        logger.notice("promote \(n.id): \(words) (request \(requestID))")
        do {
            _ = try await commandPool.send(command, at: address)
        } catch {
            shared.withLock { $0.causeHint = nil }
            logger.notice("promote \(n.id): \(error)")
            return result(requestID, "promote", .rejected, "\(words) refused by \(n.id): \(error)")
        }
        result(requestID, "promote", .accepted, "\(words) accepted by \(n.id); waiting for it to become master")
        // The failover runs in the cluster; it is done when a poll says so.
        let deadline = ContinuousClock.now + config.failoverTimeout
        while ContinuousClock.now < deadline {
            wake()
            try? await Task.sleep(for: .milliseconds(200))
            if let p = shared.withLock({ $0.differ.lastPoll }), let after = Self.node(n.id, in: p), after.role == .primary {
                let took = formatDuration(clock().millis(since: now), .compactMillis)
                logger.notice("promote \(n.id): master after \(took)")
                return result(requestID, "promote", .completed, "\(n.id) is master of shard \(n.engine?.shard ?? "?") after \(took) (\(words))")
            }
        }
        result(requestID, "promote", .failed, "\(n.id) is still not master \(formatDuration(clock().millis(since: now), .words)) after \(words)")
    }
}
