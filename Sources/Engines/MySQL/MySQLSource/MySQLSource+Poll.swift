import ClusterProtocol
import EventSources
import MySQLRules
import Synchronization

extension MySQLSource {
    /// One observation: every known server asked at once, the servers the
    /// answers name added and asked too, then the diff goes on the queue.
    /// When no server answers nothing is sent: the last good data stays on
    /// screen, with its age, and the statuses say why.
    func pollOnce() async {
        let number = shared.withLock { s -> Int in
            s.pollsBegun += 1
            return s.pollsBegun
        }
        defer { shared.withLock { $0.pollsEnded = max($0.pollsEnded, number) } }
        var answers: [String: MySQLServerAnswer] = [:]
        var asking = shared.withLock { $0.known }
        // The servers the answers name are asked in the same poll (a chain
        // is found a level a round): the first snapshot is the whole topology.
        for _ in 0..<4 where !asking.isEmpty {
            answers.merge(await askAll(asking)) { _, new in new }
            let named = MySQLObservation(servers: answers.map { ($0.key, $0.value) }, at: clock()).named
            asking = shared.withLock { s in
                let fresh = named.filter { !s.known.contains($0) }.prefix(max(0, config.maxServers - s.known.count))
                s.known.append(contentsOf: fresh)
                return Array(fresh)
            }
        }
        let now = clock()
        let intervalMillis = config.pollInterval.wholeMilliseconds
        for (i, address) in shared.withLock({ $0.known }).enumerated() {
            switch answers[address] {
            case .status?: markLive(i)
            case .failed(let why)?: markFailed(i, why, retryInMillis: intervalMillis)
            case nil: break
            }
        }
        guard answers.values.contains(where: { $0.status != nil }) else { return }
        let woke = shared.withLock { s -> Bool in
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            let observation = MySQLObservation(
                servers: s.known.compactMap { a in answers[a].map { (a, $0) } }, at: now, causeHint: s.causeHint?.text)
            var polled = s.mapper.cluster(observation)
            if let running = s.running {
                polled.engine?.scheduledSwitchover = ScheduledSwitchover(at: nil, from: running.from, to: running.to)
            }
            let before = s.differ.lastPoll?.primaries
            // Queued under the lock that stamped them (`emit`).
            for e in s.differ.diff(polled, at: now) { _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: now)) }
            if let leader = polled.primaries.first, before != nil, before?.first != leader { s.causeHint = nil }
            // A change of role seen on one server: the others are asked again at once.
            let roles = Dictionary(polled.nodes.map { ($0.id, $0.role) }, uniquingKeysWith: { a, _ in a })
            let changed = !s.lastRoles.isEmpty && roles != s.lastRoles
            s.lastRoles = roles
            return changed
        }
        if woke { wake() }
    }

    /// Asks `addresses` at once and waits `config.answerDeadline` at most: a
    /// server that has not answered by then (stopped, behind a network that
    /// drops its packets) is "no answer" this poll and is not asked again
    /// while its statements still run (its connection's read timeout ends
    /// them); the other servers are never held up by it.
    func askAll(_ addresses: [String]) async -> [String: MySQLServerAnswer] {
        let started = shared.withLock { s in addresses.filter { s.inFlight.insert($0).inserted } }
        let answers = Answers()
        let (done, signal) = AsyncStream<Void>.makeStream()
        for address in started {
            Task { [self] in
                let answer = await ask(address)
                answers.map.withLock { $0[address] = answer }
                shared.withLock { _ = $0.inFlight.remove(address) }
                signal.yield()
            }
        }
        let deadline = ContinuousClock.now.advanced(by: config.answerDeadline)
        let timer = Task {
            try? await Task.sleep(until: deadline)
            signal.yield()
        }
        for await _ in done where answers.map.withLock({ $0.count }) == started.count || ContinuousClock.now >= deadline { break }
        timer.cancel()
        var out = answers.map.withLock { $0 }
        let millis = config.answerDeadline.wholeMilliseconds
        for a in addresses where out[a] == nil {
            out[a] = .failed(started.contains(a) ? "no answer in \(millis) ms" : "no answer: the last poll's statements still run")
        }
        return out
    }

    /// One server's three statements, read; a failure in its words.
    func ask(_ address: String) async -> MySQLServerAnswer {
        do {
            let variables = try await pool.query(MySQLServerStatus.variablesQuery, at: address)
            let flavor = MySQLFlavor(
                version: variables.first { $0["Variable_name"]?.lowercased() == "version" }?["Value"] ?? "")
            let replicas = try await pool.query(flavor.replicaStatusQuery, at: address)
            let hosts = try await pool.query(flavor.replicaHostsQuery, at: address)
            do throws(MySQLParseError) {
                return .status(try MySQLServerStatus.parse(variables: variables, replicas: replicas, hosts: hosts))
            } catch {
                return .failed("unreadable answer: \(error.description)")
            }
        } catch {
            return .failed(error.words)
        }
    }

    func markLive(_ i: Int) {
        let now = clock()
        shared.withLock { $0.endpoints.live(i, at: now) }
    }

    func markFailed(_ i: Int, _ reason: String, retryInMillis: Int64) {
        let now = clock()
        let first = shared.withLock { $0.endpoints.failed(i, reason, garbage: false, retryInMillis: retryInMillis, at: now) }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }
}

/// The answers of one round of a poll, as they come (a late one lands
/// here after the round has moved on, and is dropped with it).
final class Answers: Sendable {
    let map = Mutex<[String: MySQLServerAnswer]>([:])
}
