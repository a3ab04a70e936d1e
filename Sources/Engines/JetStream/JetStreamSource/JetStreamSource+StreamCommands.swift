import ClusterProtocol
import EventSources
import JetStreamProtocol
import JetStreamRules
import NATSClient

/// The commands on one stream: its leader's step-down (`step_down`) and
/// its move to the servers of a placement tag (`migrate`, the new peers'
/// catch-up followed as a migration). JetStream's API answers per
/// account, so they go over the streams' account: the account view's own
/// connection, or one opened with the stream credentials given.
extension JetStreamSource {
    /// A move under way, started here.
    struct StreamMove: Sendable {
        var info: MigrationInfo
        var partition: Int64
        var tag: String
        var requestID: String
        /// The largest lag a new peer showed (the move's whole).
        var total: Int64 = 0
    }

    /// The connection that speaks for the streams' account, or why there is none.
    func streamConnection() async -> Result<NATSConnection, CommandRefusal> {
        let (systemView, open) = shared.withLock { ($0.systemView, $0.streamConnection) }
        guard systemView else {
            guard let c = await connection() else { return .failure(CommandRefusal("not sent: no server takes a connection")) }
            return .success(c)
        }
        guard let credentials = config.streamCredentials else {
            return .failure(
                CommandRefusal(
                    "the system account has no say over streams: give the streams' account credentials (--nats-stream-auth-env, stream_auth_env)"
                ))
        }
        if let open, open.closedReason == nil { return .success(open) }
        let learned = shared.withLock { $0.learned }
        for address in config.servers + learned {
            guard
                let c = try? await NATSConnection.connect(
                    address, credentials: credentials, name: "clusterdash nats engine (stream commands)", timeout: .seconds(2), logger: logger)
            else { continue }
            shared.withLock { s in
                s.streamConnection?.close()
                s.streamConnection = c
            }
            return .success(c)
        }
        return .failure(CommandRefusal("not sent: no server takes a connection with the stream credentials"))
    }

    /// The stream a partition id names now, with its name as the dashboard shows it.
    func stream(ofPartition id: Int64) -> ObservedStream? {
        shared.withLock { $0.mapper.streamsByPartition[id] }
    }

    func stream(named name: String) -> (id: Int64, stream: ObservedStream)? {
        shared.withLock { s in
            s.mapper.streamsByPartition.first { $0.value.stream.qualifiedName == name || $0.value.stream.name == name }
                .map { ($0.key, $0.value) }
        }
    }

    func stepDownStream(requestID: String, partition: Int64) async {
        let observed = stream(ofPartition: partition)
        let name = observed?.stream.qualifiedName ?? "partition \(partition)"
        let downAfter = shared.withLock { $0.mapper.downAfterNanos }
        if let why = JetStreamStreamCommands.stepDownRefusal(observed, named: name, downAfterNanos: downAfter) {
            return result(requestID, "step_down", .rejected, why)
        }
        guard let observed, let leader = observed.stream.group?.leader else { return }
        let c: NATSConnection
        switch await streamConnection() {
        case .failure(let refusal): return result(requestID, "step_down", .rejected, refusal.reason)
        case .success(let open): c = open
        }
        let now = clock()
        shared.withLock { $0.causeHint = ("step-down of \(name)'s leader \(leader) from clusterdash", now.adding(millis: 30_000)) }
        logger.notice("step_down \(name): $JS.API.STREAM.LEADER.STEPDOWN (leader \(leader), request \(requestID))")
        let asked = JetStreamCommand(requestID: requestID, op: "step_down", what: name, unanswered: "the step-down may still happen")
        if await apiRequest(c, "$JS.API.STREAM.LEADER.STEPDOWN.\(observed.stream.name)", body: [], asked) != nil {
            logger.notice("step_down \(name): \(leader) stepped down")
            result(
                requestID, "step_down", .completed,
                "\(leader) stepped down as \(name)'s leader; nats-server elects the next itself (on screen with its advisory)")
        }
        driver.wake()
    }

    func moveStream(requestID: String, stream name: String, toTag tag: String, dryRun: Bool) async {
        let found = stream(named: name)
        let (tags, unknown) = shared.withLock { ($0.mapper.serverTags, $0.mapper.unreportedServers) }
        if let why = JetStreamStreamCommands.moveRefusal(found?.stream, named: name, toTag: tag, tags: tags, unknown: unknown) {
            return result(requestID, "migrate", .rejected, why)
        }
        guard let (partition, observed) = found else { return }
        if shared.withLock({ $0.moves.values.contains { $0.partition == partition } }) {
            return result(requestID, "migrate", .rejected, "\(name) is already being moved")
        }
        let from = observed.stream.group?.peers ?? []
        let carriers = tags.filter { $0.value.contains(tag) }.keys.sorted()
        let now = clock()
        let id = "move-\(observed.stream.name.prefix(40))-\(now.millis % 1_000_000)"
        let info = MigrationInfo(
            migrationID: id, tenant: name, source: from.first ?? "?", target: tag, state: .inProgress, phase: .validating,
            drainedEntries: 0, totalEntries: 0, dryRun: dryRun, startedAt: now)
        if dryRun {
            emit([.migrationStarted(MigrationStarted(migration: info))], correlation: requestID)
            emit([.migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: 0))], correlation: requestID)
            return result(
                requestID, "migrate", .completed,
                "dry run: \(name) (on \(from.joined(separator: ", "))) would move to the servers tagged \(tag) (\(carriers.joined(separator: ", "))); nothing was changed"
            )
        }
        let c: NATSConnection
        switch await streamConnection() {
        case .failure(let refusal): return result(requestID, "migrate", .rejected, refusal.reason)
        case .success(let open): c = open
        }
        let subjectName = observed.stream.name
        let config: JSONObject
        do {
            calls.add(1, ordering: .relaxed)
            let answer = try await c.request("$JS.API.STREAM.INFO.\(subjectName)", payload: [], timeout: self.config.commandTimeout)
            if let e = JetStreamParse.apiError(answer.payload) { return result(requestID, "migrate", .rejected, "nats-server refused: \(e)") }
            guard answer.status != 503 else {
                return result(requestID, "migrate", .rejected, "no responder: the credentials given are not of \(name)'s account")
            }
            config = try JetStreamParse.streamConfig(answer.payload)
        } catch {
            return result(requestID, "migrate", .failed, "\(name)'s config could not be read: \(error)")
        }
        let body = JSONWriter.bytes(.object(JetStreamStreamCommands.movedConfig(config, toTag: tag)))
        let asked = JetStreamCommand(requestID: requestID, op: "migrate", what: name, unanswered: "the placement may still have changed")
        guard await apiRequest(c, "$JS.API.STREAM.UPDATE.\(subjectName)", body: body, asked) != nil else { return }
        var started = info
        started.phase = .other("adding_peers")
        shared.withLock { $0.moves[id] = StreamMove(info: started, partition: partition, tag: tag, requestID: requestID) }
        emit([.migrationStarted(MigrationStarted(migration: started))], correlation: requestID)
        logger.notice("migrate \(name): placement tags [\(tag)] (from \(from.joined(separator: ", ")), request \(requestID))")
        result(requestID, "migrate", .accepted, "\(name) moves to the servers tagged \(tag); nats-server adds them, they catch up, the old leave")
        driver.wake()
    }

    /// After each poll: every move under way, from the stream leader's own
    /// view; progress when it changed, completed when only the tag's
    /// servers hold the stream, all current, one of them leading; failed
    /// past `moveTimeout`, each end also the command's last result. Under
    /// the `shared` lock.
    func followMoves(_ s: inout Shared, at now: Timestamp) -> [(Event, String)] {
        var out: [(Event, String)] = []
        let tags = s.mapper.serverTags
        for (id, var move) in s.moves {
            let progress = JetStreamStreamCommands.moveProgress(s.mapper.streamsByPartition[move.partition], toTag: move.tag, tags: tags)
            if progress.done {
                let took = now.millis(since: move.info.startedAt ?? now)
                out.append((.migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: took)), move.requestID))
                let words = "\(move.info.tenant) is on the servers tagged \(move.tag) (\(progress.peers.joined(separator: ", "))) after \(took) ms"
                out.append(
                    (.commandResult(CommandResult(requestID: move.requestID, op: "migrate", status: .completed, reason: words)), move.requestID))
                logger.notice("migrate \(move.info.tenant): on \(move.tag) in \(took) ms")
                s.moves[id] = nil
                continue
            }
            if now.millis(since: move.info.startedAt ?? now) > config.moveTimeout.wholeMilliseconds {
                let why = "not on \(move.tag) after \(config.moveTimeout.wholeMilliseconds / 1000) s (nats-server goes on trying)"
                out.append((.migrationFailed(MigrationFailed(migrationID: id, phase: move.info.phase, reason: why)), move.requestID))
                out.append((.commandResult(CommandResult(requestID: move.requestID, op: "migrate", status: .failed, reason: why)), move.requestID))
                logger.warning("migrate \(move.info.tenant): \(why)")
                s.moves[id] = nil
                continue
            }
            let behind = progress.behind.map { Int64(clamping: $0) }
            if let behind { move.total = max(move.total, behind) }
            let phase = MigrationPhase(wire: progress.phase)
            let drained = behind.map { move.total - $0 } ?? move.info.drainedEntries
            if phase != move.info.phase || drained != move.info.drainedEntries || move.total != move.info.totalEntries {
                move.info.phase = phase
                move.info.drainedEntries = drained
                move.info.totalEntries = move.total
                out.append(
                    (
                        .migrationProgress(
                            MigrationProgress(migrationID: id, phase: phase, drainedEntries: drained, totalEntries: move.total)),
                        move.requestID
                    ))
            }
            s.moves[id] = move
        }
        return out
    }
}

extension JetStreamSource {
    /// Stamps events in this source's sequence and queues them.
    func emit(_ events: [Event], correlation: String? = nil) {
        let now = clock()
        shared.withLock { s in
            guard var differ = s.differ else { return }
            push(events.map { differ.stamp($0, at: now, correlationID: correlation) }, endpoint: s.connectedTo)
            s.differ = differ
        }
    }
}

/// One command's JetStream API request, for the words of its result.
struct JetStreamCommand {
    var requestID: String
    var op: String
    /// What it acts on (`APP > ORDERS`, the meta leader).
    var what: String
    /// What may have happened when no answer came.
    var unanswered: String
}

extension JetStreamSource {
    /// Sends one API request of a command and returns nats-server's
    /// answer; a refusal (its words), no responder (credentials not of the
    /// account) or no answer is the command's result, and nil.
    func apiRequest(_ c: NATSConnection, _ subject: String, body: [UInt8], _ asked: JetStreamCommand) async -> NATSMessage? {
        do {
            calls.add(1, ordering: .relaxed)
            let answer = try await c.request(subject, payload: body, timeout: config.commandTimeout)
            if let e = JetStreamParse.apiError(answer.payload) {
                logger.notice("\(asked.op) \(asked.what): refused: \(e)")
                result(asked.requestID, asked.op, .rejected, "nats-server refused: \(e)")
                return nil
            }
            if answer.status == 503 {
                result(asked.requestID, asked.op, .rejected, "no responder: the credentials given have no say over \(asked.what)")
                return nil
            }
            return answer
        } catch {
            result(asked.requestID, asked.op, .failed, "no answer: \(error) (\(asked.unanswered))")
            return nil
        }
    }
}

/// Why a command was not sent.
struct CommandRefusal: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
