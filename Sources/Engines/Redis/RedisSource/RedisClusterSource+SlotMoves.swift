import ClusterProtocol
import ClusterState
import EventSources

/// Moving a tenant's slot for real, cancelling a move, and following
/// moves seen from the migrating and importing marks.
extension RedisClusterSource {
    // MARK: Moving a slot

    /// What a move needs, checked against the last poll.
    struct MovePlan {
        var slot: Int
        var tenant: String
        var source: NodeInfo
        var target: NodeInfo
        var sourceID: String
        var targetID: String
        var others: [String]
    }

    static func plan(tenant: String, target: String, poll: PolledCluster?, busy: Set<Int>) -> Result<MovePlan, PlanRefusal> {
        guard let slot = HashSlot.named(by: tenant) else {
            return .failure(PlanRefusal("\(tenant.isEmpty ? "an empty tenant" : tenant) names no slot (a hash tag, or slot 0-16383)"))
        }
        guard let poll, let table = poll.assignment else { return .failure(PlanRefusal("nothing is known of the cluster yet")) }
        let label = tenant.lowercased().hasPrefix("slot") ? "slot \(slot)" : "\(tenant) (slot \(slot))"
        let rows = table.partitions.filter { $0.id == Int64(slot) }
        guard rows.count == 1, let owner = rows[0].worker else {
            return .failure(PlanRefusal(rows.count > 1 ? "slot \(slot) is claimed by two masters: settle that first" : "slot \(slot) has no owner"))
        }
        guard let source = poll.nodes.first(where: { $0.id == owner }), let sourceID = source.engine?.tag("node_id") else {
            return .failure(PlanRefusal("the owner of slot \(slot), \(owner), is not in the last poll"))
        }
        guard let to = node(target, in: poll), let targetID = to.engine?.tag("node_id") else {
            return .failure(PlanRefusal("\(target) is not a node of the cluster"))
        }
        if to.id == source.id { return .failure(PlanRefusal("\(label) is already on \(to.id)")) }
        if to.role != .primary { return .failure(PlanRefusal("\(to.id) is not a master: slots live on masters")) }
        if to.health != .healthy { return .failure(PlanRefusal("\(to.id) is \(to.engine?.state ?? to.health.wire)")) }
        if source.health != .healthy { return .failure(PlanRefusal("the owner \(source.id) is \(source.engine?.state ?? source.health.wire)")) }
        if busy.contains(slot) { return .failure(PlanRefusal("slot \(slot) is already being moved")) }
        if let state = poll.engine?.state, state != "ok" { return .failure(PlanRefusal("cluster_state is \(state)")) }
        let others = poll.nodes.filter { $0.role == .primary && $0.id != source.id && $0.id != to.id && $0.health == .healthy }.compactMap(\.address)
        return .success(
            MovePlan(slot: slot, tenant: label, source: source, target: to, sourceID: sourceID, targetID: targetID, others: others))
    }

    struct PlanRefusal: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    func migrate(requestID: String, tenant: String, target: String, dryRun: Bool) async {
        let (poll, busy) = shared.withLock { s in (s.differ.lastPoll, Set(s.moves.keys)) }
        let plan: MovePlan
        switch Self.plan(tenant: tenant, target: target, poll: poll, busy: busy) {
        case .failure(let refusal): return result(requestID, "migrate", .rejected, refusal.reason)
        case .success(let p): plan = p
        }
        guard let sourceAddress = plan.source.address, let targetAddress = plan.target.address else {
            return result(requestID, "migrate", .rejected, "a node of the move has no address")
        }
        let keys: Int64
        do {
            keys = try await commandPool.send(["CLUSTER", "COUNTKEYSINSLOT", String(plan.slot)], at: sourceAddress).int ?? 0
        } catch {
            return result(requestID, "migrate", .rejected, "\(plan.source.id) did not count the slot's keys: \(error)")
        }
        let now = clock()
        let id = "mv-\(plan.slot)-\(now.millis % 1_000_000)"
        let info = MigrationInfo(
            migrationID: id, tenant: plan.tenant, source: plan.source.id, target: plan.target.id, state: .inProgress, phase: .validating,
            drainedEntries: 0, totalEntries: keys, dryRun: dryRun, startedAt: now)
        if dryRun {
            emit([.migrationStarted(MigrationStarted(migration: info))], correlation: requestID)
            emit([.migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: clock().millis(since: now)))], correlation: requestID)
            return result(
                requestID, "migrate", .completed,
                "dry run: \(plan.tenant) (\(keys) keys) would move from \(plan.source.id) to \(plan.target.id); nothing was changed")
        }
        let claimed = shared.withLock { s -> Bool in
            guard s.moves[plan.slot] == nil, !s.stopping else { return false }
            s.moves[plan.slot] = Move(info: info, slot: plan.slot, ours: true, startedAt: now)
            return true
        }
        guard claimed else {
            let why = shared.withLock(\.stopping) ? "the dashboard is stopping" : "slot \(plan.slot) is already being moved"
            return result(requestID, "migrate", .rejected, why)
        }
        emit([.migrationStarted(MigrationStarted(migration: info))], correlation: requestID)
        result(requestID, "migrate", .accepted, "moving \(plan.tenant), \(keys) keys, from \(plan.source.id) to \(plan.target.id)")
        logger.notice("migrate \(plan.tenant): \(plan.source.id) -> \(plan.target.id), \(keys) keys (request \(requestID))")
        // Its own connections: ASKING holds for the next command on the same one.
        let conns = RESPPool(auth: config.auth, timeout: config.requestTimeout)
        defer { Task { await conns.closeAll() } }
        var mover = SlotMover(
            source: self, conns: conns, plan: plan, sourceAddress: sourceAddress, targetAddress: targetAddress, id: id, requestID: requestID)
        do {
            _ = try await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "IMPORTING", plan.sourceID], at: targetAddress)
            mover.marked = true
            _ = try await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "MIGRATING", plan.targetID], at: sourceAddress)
            let outcome = try await mover.moveKeys(total: keys)
            if outcome == .cancelled {
                try await mover.rollBack()
                emit([.migrationCancelled(MigrationCancelled(migrationID: id, by: "clusterdash"))], correlation: requestID)
                finish(plan.slot)
                logger.notice("migrate \(plan.tenant): cancelled, every key back on \(plan.source.id)")
                return result(requestID, "migrate", .completed, "cancelled: every key of \(plan.tenant) is back on \(plan.source.id), slot stable")
            }
            mover.progress(phase: .updatingPlacement, force: true)
            // The target first, then the source: each learns the new owner
            // from us, the other masters too (gossip would tell them later).
            for address in [targetAddress, sourceAddress] + plan.others {
                do {
                    _ = try await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "NODE", plan.targetID], at: address)
                } catch  where address != targetAddress && address != sourceAddress {
                    logger.warning("migrate \(plan.tenant): SETSLOT NODE on \(address): \(error) (gossip will tell it)")
                }
            }
            let took = clock().millis(since: now)
            emit([.migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: took))], correlation: requestID)
            finish(plan.slot)
            wake()
            logger.notice("migrate \(plan.tenant): done in \(formatDuration(took, .compactMillis)), \(mover.drained) keys")
            result(
                requestID, "migrate", .completed,
                "\(plan.tenant) is on \(plan.target.id): \(mover.drained) keys moved in \(formatDuration(took, .compactMillis))")
        } catch {
            let phase = mover.phase
            let left =
                mover.marked
                ? " Slot \(plan.slot) is left \(mover.drained == 0 ? "as it was" : "marked migrating (clients are redirected with ASK); cancel or `redis-cli --cluster fix` settles it")."
                : ""
            if mover.drained == 0, mover.marked {
                _ = try? await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "STABLE"], at: sourceAddress)
                _ = try? await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "STABLE"], at: targetAddress)
            }
            let reason = "\(error)\(left)"
            logger.warning("migrate \(plan.tenant): failed: \(reason)")
            emit([.migrationFailed(MigrationFailed(migrationID: id, phase: phase, reason: reason))], correlation: requestID)
            finish(plan.slot)
            result(requestID, "migrate", .failed, reason)
        }
    }

    func finish(_ slot: Int) {
        let now = clock()
        shared.withLock { s in
            s.moves[slot] = nil
            s.endedOurs[slot] = now
            if s.endedOurs.count > 256 { s.endedOurs = s.endedOurs.filter { now.millis(since: $0.value) < 5_000 } }
        }
    }

    func cancelRequested(_ slot: Int) -> Bool { shared.withLock { $0.moves[slot]?.cancelRequested ?? false } }

    func cancel(requestID: String, migrationID: String) {
        let found = shared.withLock { s -> Move? in
            guard let slot = s.moves.first(where: { $0.value.info.migrationID == migrationID })?.key else { return nil }
            if s.moves[slot]?.ours == true { s.moves[slot]?.cancelRequested = true }
            return s.moves[slot]
        }
        guard let found else { return result(requestID, "cancel_migration", .rejected, "no move \(migrationID) is under way") }
        guard found.ours else {
            return result(
                requestID, "cancel_migration", .rejected,
                "\(found.info.tenant) is being moved by someone else (redis-cli --cluster reshard?): cancel it there")
        }
        result(requestID, "cancel_migration", .accepted, "cancelling \(found.info.tenant): its keys go back to \(found.info.source)")
    }

    // MARK: Moves seen from the marks

    /// Moves started by someone else show up from the migrating/importing
    /// marks; they end when the marks go (completed when the slot changed
    /// hands, else cancelled). Their progress is the keys left at the source.
    func followMarks(_ marks: [SlotMove], table: [PartitionAssignment]) async {
        // Row i of the mapper's table is slot i (disputed claims come after).
        func owner(_ slot: Int) -> String? { table.indices.contains(slot) && table[slot].id == Int64(slot) ? table[slot].worker : nil }
        let now = clock()
        var events: [Event] = []
        let counting = shared.withLock { s -> [(Int, String)] in
            let marked = Set(marks.map(\.slot))
            s.endedOurs = s.endedOurs.filter { now.millis(since: $0.value) < 5_000 }
            for m in marks where s.moves[m.slot] == nil && s.endedOurs[m.slot] == nil {
                let info = MigrationInfo(
                    migrationID: "seen-\(m.slot)-\(now.millis % 1_000_000)", tenant: "slot \(m.slot)", source: m.from, target: m.to,
                    state: .inProgress,
                    phase: .other("moving_keys"), startedAt: now)
                s.moves[m.slot] = Move(info: info, slot: m.slot, ours: false, startedAt: now)
                events.append(.migrationStarted(MigrationStarted(migration: info)))
            }
            for (slot, move) in s.moves where !move.ours && !marked.contains(slot) {
                if owner(slot) == move.info.target {
                    events.append(
                        .migrationCompleted(MigrationCompleted(migrationID: move.info.migrationID, durationMillis: now.millis(since: move.startedAt)))
                    )
                } else {
                    events.append(
                        .migrationCancelled(
                            MigrationCancelled(
                                migrationID: move.info.migrationID,
                                by: "someone else (the marks went; slot \(slot) stays on \(owner(slot) ?? "no one"))")))
                }
                s.moves[slot] = nil
            }
            return s.moves.values.filter { !$0.ours }.map { ($0.slot, $0.info.source) }.sorted { $0.0 < $1.0 }.prefix(16).map { $0 }
        }
        emit(events)
        var progress: [Event] = []
        for (slot, source) in counting {
            guard let answer = try? await pool.send(["CLUSTER", "COUNTKEYSINSLOT", String(slot)], at: source), let left = answer.int else {
                continue
            }
            let event = shared.withLock { s -> Event? in
                guard var move = s.moves[slot], !move.ours else { return nil }
                let total = max(move.info.totalEntries, move.info.drainedEntries + left)
                let drained = total - left
                guard total != move.info.totalEntries || drained != move.info.drainedEntries else { return nil }
                move.info.totalEntries = total
                move.info.drainedEntries = drained
                s.moves[slot] = move
                return .migrationProgress(
                    MigrationProgress(migrationID: move.info.migrationID, phase: move.info.phase, drainedEntries: drained, totalEntries: total))
            }
            if let event { progress.append(event) }
        }
        emit(progress)
    }
}
