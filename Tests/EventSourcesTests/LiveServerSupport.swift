import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import ProtocolV1Source
import Simulator
import Synchronization
import Testing

// What the suites against a live simulator share: quiet logs, configs,
// servers started (and restarted) on ports of their own, a consumer, and
// the check that a state matches the simulator's.

func quiet() -> Logger {
    var l = Logger(label: "sources-test")
    l.logLevel = .critical
    return l
}

func simConfig(_ edit: (inout SimConfig) -> Void = { _ in }) -> SimConfig {
    var c = SimConfig()
    c.coldStartWindowMillis = 1_000
    c.plannedScaleWindowMillis = 500
    edit(&c)
    return c
}

func serverOptions(_ edit: (inout StreamServerOptions) -> Void = { _ in }) -> StreamServerOptions {
    var o = StreamServerOptions()
    o.port = 0
    o.realtime = false
    edit(&o)
    return o
}

/// A server for a test that stops it and starts it again on the same port.
/// The port is below the kernel's ephemeral range (ip_local_port_range), so
/// neither an outgoing connection nor a port-0 listener of a test running
/// beside it can be given that port while the server is down: CI saw a
/// restart refused with "Address already in use" for over 10 s when the
/// port came from the ephemeral range.
/// Ports `startOnAPortOfItsOwn` has given in this run (a few hundred at most).
let portsGiven = Mutex<Set<Int>>([])

func startOnAPortOfItsOwn(_ core: SimulatorCore) async throws -> SimulatorServer {
    let low =
        (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
    let ports = max(1_024, low - 4_000)..<max(1_025, low)
    var lastError: (any Error)?
    for _ in 0..<50 {
        var o = serverOptions()
        // Never a port another test of this run was given: that test may
        // stop its server and start it again on the port (a restart test),
        // and found it taken for 10 s once in CI.
        let port = Int.random(in: ports)
        guard portsGiven.withLock({ $0.insert(port).inserted }) else { continue }
        o.port = port
        do {
            return try await SimulatorServer.start(core: core, options: o, logger: quiet())
        } catch {
            lastError = error
        }
    }
    throw lastError ?? StreamServerError.didNotStart
}

/// The server again on its old port (from `startOnAPortOfItsOwn`); a bind
/// refused is tried again for up to 10 s.
func restartServer(_ core: SimulatorCore, port: Int) async throws -> SimulatorServer {
    var o = serverOptions()
    o.port = port
    let deadline = ContinuousClock.now.advanced(by: .seconds(10))
    while true {
        do {
            return try await SimulatorServer.start(core: core, options: o, logger: quiet())
        } catch  where ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        } catch {
            // CI once found the port taken for 10 s: say by whom.
            throw PortTaken(port: port, error: "\(error)", holders: await socketsOn(port: port))
        }
    }
}

struct PortTaken: Error, CustomStringConvertible {
    var port: Int
    var error: String
    var holders: String
    var description: String { "port \(port) could not be bound again for 10 s (\(error)); its sockets: \(holders)" }
}

/// `ss`'s lines for every TCP socket on `port`, with their processes.
func socketsOn(port: Int) async -> String {
    do {
        return try await ChildProcess.output(["/usr/bin/env", "ss", "-tanpe", "( sport = :\(port) or dport = :\(port) )"]).text
    } catch {
        return "ss did not run: \(error)"
    }
}

/// Fast retries for tests (the policy is the same machine, with smaller numbers).
func fastPolicy() -> ReconnectMachine.Policy {
    var p = ReconnectMachine.Policy()
    p.baseMillis = 20
    p.capMillis = 200
    p.unauthorizedDelayMillis = 300
    return p
}

/// Pulls batches from a source into a feed, doing what the app will do:
/// apply, and ask for snapshots when the feed says so.
actor Consumer {
    var feed = Feed()
    let source: any EventSource
    var batches = 0
    /// Endpoints that have delivered anything (their snapshot or replay).
    var heardFrom: Set<Int> = []

    init(source: any EventSource) {
        self.source = source
    }

    func drain() {
        let batch = source.queue.take()
        batches += 1
        for r in batch.items { heardFrom.insert(r.endpoint) }
        for endpoint in feed.apply(batch, endpoints: source.endpointNames.count, now: wallClockNow()) {
            source.requestSnapshot(endpoint: endpoint)
        }
    }

    var state: ClusterState { feed.state }

    /// Drains until `condition` holds; fails after `timeout`.
    func until(_ what: String, timeout: Duration = .seconds(15), _ condition: (Feed) -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            drain()
            if condition(feed) { return }
            if ContinuousClock.now > deadline {
                throw TestTimeout(what: what, received: feed.state.counters.applied, lastTypes: feed.state.log.suffix(5).map { "\($0.kind)" })
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// The simulator's truth to compare a dashboard's state with.
func assertMatches(_ state: ClusterState, _ core: SimulatorCore, sourceLocation: SourceLocation = #_sourceLocation) async {
    var truth = ClusterState()
    truth.apply(await core.snapshot())
    #expect(state.term == truth.term, sourceLocation: sourceLocation)
    #expect(state.primaries == truth.primaries, sourceLocation: sourceLocation)
    #expect(state.assignment?.version == truth.assignment?.version, sourceLocation: sourceLocation)
    #expect(state.assignment?.partitions == truth.assignment?.partitions, sourceLocation: sourceLocation)
    #expect(state.seqs == truth.seqs, sourceLocation: sourceLocation)
    for (id, n) in truth.nodes {
        #expect(state.nodes[id]?.info.role == n.info.role, "role of \(id)", sourceLocation: sourceLocation)
        #expect(state.nodes[id]?.info.health == n.info.health, "health of \(id)", sourceLocation: sourceLocation)
    }
}
