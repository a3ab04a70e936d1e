import ClusterProtocol
import ClusterState
import EventSources

/// One move's key loop: batches of `GETKEYSINSLOT` + `MIGRATE` from the
/// source, progress as it goes, and on cancel the same back from the target.
struct SlotMover {
    enum Outcome { case moved, cancelled }

    let source: RedisClusterSource
    let conns: RESPPool
    let plan: RedisClusterSource.MovePlan
    let sourceAddress: String
    let targetAddress: String
    let id: String
    let requestID: String
    var marked = false
    var drained: Int64 = 0
    var total: Int64 = 0
    var phase: MigrationPhase = .validating
    var lastProgress = ContinuousClock.now - .seconds(1)

    init(
        source: RedisClusterSource, conns: RESPPool, plan: RedisClusterSource.MovePlan, sourceAddress: String, targetAddress: String, id: String,
        requestID: String
    ) {
        self.source = source
        self.conns = conns
        self.plan = plan
        self.sourceAddress = sourceAddress
        self.targetAddress = targetAddress
        self.id = id
        self.requestID = requestID
    }

    /// A progress event, at most five a second unless `force`d.
    mutating func progress(phase: MigrationPhase, force: Bool = false) {
        self.phase = phase
        let now = ContinuousClock.now
        guard force || now - lastProgress >= .milliseconds(200) else { return }
        lastProgress = now
        source.emit(
            [.migrationProgress(MigrationProgress(migrationID: id, phase: phase, drainedEntries: drained, totalEntries: max(total, drained)))],
            correlation: requestID)
    }

    /// `MIGRATE` of `keys` from `from` to `to` (`ASKING` first when `from`
    /// only imports the slot).
    func migrate(_ keys: [[UInt8]], from: String, to: String, asking: Bool) async throws {
        guard let (host, port) = RedisClusterConfig.hostPort(to) else { throw RedisReplyError(text: "ERR not host:port: \(to)") }
        var command: [[UInt8]] = ["MIGRATE", host, String(port), "", "0", String(source.config.migrateTimeoutMillis)].map { Array($0.utf8) }
        if let auth = source.config.auth {
            command += (auth.user.map { ["AUTH2", $0, auth.password] } ?? ["AUTH", auth.password]).map { Array($0.utf8) }
        }
        command.append(Array("KEYS".utf8))
        command += keys
        let timeout = Duration.milliseconds(source.config.migrateTimeoutMillis) + .seconds(2)
        if asking { _ = try await conns.send(["ASKING"], at: from) }
        _ = try await conns.send(bytes: command, what: "MIGRATE", at: from, timeout: timeout)
    }

    func keysInSlot(at address: String) async throws -> [[UInt8]] {
        let answer = try await conns.send(["CLUSTER", "GETKEYSINSLOT", String(plan.slot), String(source.config.migrateBatch)], at: address)
        return (answer.elements ?? []).compactMap { v in
            if case .bulk(let b?) = v { return b }
            return v.text.map { Array($0.utf8) }
        }
    }

    mutating func moveKeys(total: Int64) async throws -> Outcome {
        self.total = total
        progress(phase: .other("moving_keys"), force: true)
        while true {
            if source.cancelRequested(plan.slot) { return .cancelled }
            let keys = try await keysInSlot(at: sourceAddress)
            if keys.isEmpty { break }
            try await migrate(keys, from: sourceAddress, to: targetAddress, asking: false)
            drained += Int64(keys.count)
            progress(phase: .other("moving_keys"))
            if source.config.migratePause > .zero { try await Task.sleep(for: source.config.migratePause) }
        }
        progress(phase: .other("moving_keys"), force: true)
        return .moved
    }

    /// Puts every key moved so far back on the source: the source forgets
    /// the move first (a source still migrating answers ASK to the keys
    /// coming back), then the keys return from the target, which still
    /// imports (ASKING lets it serve MIGRATE), then the target forgets it:
    /// the slot stays where it was. Until a key is back, the source answers
    /// that it is missing; the move back runs at full speed (no pause).
    mutating func rollBack() async throws {
        progress(phase: .other("moving_keys_back"), force: true)
        _ = try await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "STABLE"], at: sourceAddress)
        while true {
            let keys = try await keysInSlot(at: targetAddress)
            if keys.isEmpty { break }
            try await migrate(keys, from: targetAddress, to: sourceAddress, asking: true)
            drained = max(0, drained - Int64(keys.count))
            progress(phase: .other("moving_keys_back"))
        }
        _ = try await conns.send(["CLUSTER", "SETSLOT", String(plan.slot), "STABLE"], at: targetAddress)
    }
}
