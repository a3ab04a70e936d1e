import ClusterProtocol
import ClusterState
import EventSources
import MySQLRules

extension MySQLSource {
    /// Takes `promote` (a switchover while the primary answers, a failover
    /// when it does not); refuses the rest at once with a `command.result`
    /// that says why. A read-only source sends nothing.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "MySQL replication", readOnly: config.readOnly, accepts: ["promote"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        guard case .promote(_, let node, let mode) = op else { return false }
        if let mode {
            result(requestID, op.op, .rejected, "MySQL replication has no promotion mode \(mode.prefix(20)): nothing was sent")
            return true
        }
        Task { await self.promote(requestID: requestID, candidate: node) }
        return true
    }

    /// What promoting `candidate` becomes, from the last poll.
    static func plan(promoting candidate: String, in poll: PolledCluster?) -> Result<MySQLSwitchover.Plan, MySQLSwitchover.Failure> {
        func refuse(_ why: String) -> Result<MySQLSwitchover.Plan, MySQLSwitchover.Failure> { .failure(.init(step: "plan", why: why)) }
        guard let poll else { return refuse("nothing is known of the topology yet") }
        guard let c = poll.nodes.first(where: { $0.id == candidate }) else { return refuse("\(candidate) is not a server of this topology") }
        guard c.role == .replica else { return refuse("\(candidate) is not a replica (\(c.role.wire))") }
        guard c.health == .healthy || c.health == .degraded else { return refuse("\(candidate) does not answer") }
        if let why = MySQLPreview.switchoverUnsupported(version: c.engine?.tag("version")) {
            return refuse("\(candidate) \(why) (docs/ENGINES.md), nothing was sent")
        }
        let primary = poll.nodes.first { $0.role == .primary }
        let primaryUp = primary.map { $0.health == .healthy || $0.health == .degraded } ?? false
        let replicas = poll.nodes.filter { $0.id != candidate && $0.id != primary?.id && $0.role == .replica }.map(\.id)
        return .success(
            MySQLSwitchover.Plan(
                candidate: candidate, primary: primaryUp ? primary?.id : nil, replicas: replicas, lostPrimary: primaryUp ? nil : primary?.id))
    }

    func promote(requestID: String, candidate: String) async {
        let now = clock()
        let (poll, busy) = shared.withLock { ($0.differ.lastPoll, $0.running != nil) }
        if busy {
            result(requestID, "promote", .rejected, "a switchover is already running: nothing was sent")
            return
        }
        let plan: MySQLSwitchover.Plan
        switch Self.plan(promoting: candidate, in: poll) {
        case .failure(let f):
            result(requestID, "promote", .rejected, f.why)
            return
        case .success(let p): plan = p
        }
        let kind = plan.primary == nil ? "failover" : "switchover"
        let taken = shared.withLock { s -> Bool in
            guard s.running == nil else { return false }
            s.running = (plan.primary ?? plan.lostPrimary, candidate)
            s.causeHint = ("\(kind) to \(candidate) requested from clusterdash", now.adding(millis: 120_000))
            return true
        }
        guard taken else {
            result(requestID, "promote", .rejected, "a switchover is already running: nothing was sent")
            return
        }
        emit(
            [.promotionRequested(PromotionRequested(requestID: requestID, candidate: candidate, requestedBy: "clusterdash (\(kind))"))],
            correlation: requestID)
        // Accepted now, completed or failed when done (a loaded primary's
        // drain and the candidate's catch-up can take seconds).
        result(requestID, "promote", .accepted, "\(kind) to \(candidate) running: each step in the failover log")
        logger.notice("promote \(candidate): \(kind) from \(plan.primary ?? plan.lostPrimary ?? "no primary") (request \(requestID))")
        let runner = MySQLSwitchover(
            plan: plan, replicationAuth: config.replicationAuth,
            open: { [pool] address throws(MySQLClientError) in try await pool.dedicated(address) },
            told: { [self] node, text, millis in notice(node: node, text: millis.map { "\(text) (\($0) ms)" } ?? text, requestID: requestID) })
        let start = ContinuousClock.now
        let outcome: Result<String, MySQLSwitchover.Failure>
        do {
            outcome = .success(try await runner.run())
        } catch {
            outcome = .failure(error)
        }
        let total = "\((ContinuousClock.now - start).wholeMilliseconds) ms"
        // The servers are polled before the result is told and another
        // switchover taken: the result and the screen agree at once, and
        // the next plan is made from what the servers say now.
        await pollAfter()
        switch outcome {
        case .success(let summary):
            logger.notice("promote \(candidate): \(summary) in \(total)")
            shared.withLock { $0.running = nil }
            result(requestID, "promote", .completed, "\(summary) in \(total)")
        case .failure(let error):
            shared.withLock { s in
                s.running = nil
                s.causeHint = nil
            }
            logger.warning("promote \(candidate): stopped at \(error.step): \(error.why)")
            result(requestID, "promote", .failed, "stopped at \(error.step): \(error.why)")
        }
    }

    /// Wakes a poll and waits until one begun from now on has ended (5 s at most).
    func pollAfter() async {
        let begun = shared.withLock { $0.pollsBegun }
        wake()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline, shared.withLock({ $0.pollsEnded }) <= begun {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One step of a switchover, in the failover log.
    func notice(node: String?, text: String, requestID: String) {
        emit([.engineNotice(EngineNotice(from: "clusterdash", node: node, kind: "switchover-step", text: text))], correlation: requestID)
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        emit([.commandResult(CommandResult(requestID: requestID, op: op, status: status, reason: reason))], correlation: requestID)
    }
}
