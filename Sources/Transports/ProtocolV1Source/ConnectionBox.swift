import ClusterProtocol
import EventSources
import NIOSSL
import Synchronization

extension WebSocketSource {
    func tlsConfiguration(for config: EndpointConfig) throws -> TLSConfiguration? {
        guard config.url.hasPrefix("wss://") else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        // Closing waits this long for the server's close_notify; a server that
        // no longer reads (its WebSocket ended) never sends one, and stopping
        // (quitting the dashboard) took NIOSSL's default of 5 s.
        tls.shutdownTimeout = .milliseconds(300)
        if let ca = config.caFile {
            tls.trustRoots = .file(ca)
        }
        return tls
    }
}

enum ConnectionEnd: Error { case stale, tooLarge }

/// The reconnect machine shared between a connection's tasks.
final class ConnectionBox: Sendable {
    private let state: Mutex<(machine: ReconnectMachine, connected: Bool, finished: Bool)>

    init(machine: ReconnectMachine) {
        state = Mutex((machine, false, false))
    }

    var machine: ReconnectMachine { state.withLock { $0.machine } }
    var status: EndpointStatus { state.withLock { $0.machine.status } }
    var isConnected: Bool { state.withLock { $0.connected } }
    var wasConnected: Bool { state.withLock { $0.connected } }
    var finished: Bool { state.withLock { $0.finished } }

    func connected(now: Timestamp) {
        state.withLock {
            $0.machine.connected(now: now)
            $0.connected = true
        }
    }

    func heard(now: Timestamp) { state.withLock { $0.machine.heard(now: now) } }

    func subscribed(now: Timestamp) { state.withLock { $0.machine.subscribed(now: now) } }

    func markFinished() { state.withLock { $0.finished = true } }

    func tick(now: Timestamp) -> ReconnectMachine.Action { state.withLock { $0.machine.tick(now: now) } }
}
