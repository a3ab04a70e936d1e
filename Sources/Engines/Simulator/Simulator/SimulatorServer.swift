import ClusterProtocol
import ClusterSim
import EventSources
import Logging
import ProtocolV1Server
import ServiceLifecycle
import UnixSignals

/// The simulator served.
public typealias SimulatorServer = StreamServer<SimCluster>

extension StreamServer where Engine == SimCluster {
    /// Starts listening and returns once every listener has its port.
    public static func start(
        simulation: SimConfig, options: StreamServerOptions, start: Timestamp = wallClockNow(),
        scheduled: [(Fault, Timestamp)] = [], logger: Logger, signals: [UnixSignal] = []
    ) async throws -> SimulatorServer {
        let core = SimulatorCore(config: simulation, start: start)
        for (fault, at) in scheduled { await core.schedule(fault, at: at) }
        return try await Self.start(core: core, options: options, logger: logger, signals: signals)
    }

    /// Starts listeners for an existing core: a restarted endpoint keeps the
    /// cluster (and its replay history) it had.
    public static func start(
        core: SimulatorCore, options: StreamServerOptions, logger: Logger, signals: [UnixSignal] = [], services extra: [any Service] = []
    ) async throws -> SimulatorServer {
        let driver: [any Service] = options.realtime ? [Driver(core: core, tickMillis: options.tickMillis)] : []
        return try await serve(core: core, options: options, services: driver + extra, logger: logger, signals: signals)
    }
}

/// Moves simulated time with the wall clock.
struct Driver: Service {
    let core: SimulatorCore
    let tickMillis: Int64

    /// Ticks until graceful shutdown; ending by cancellation is the normal
    /// way out, not an error (an error would cancel the whole group).
    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                do {
                    try await Task.sleep(for: .milliseconds(tickMillis))
                } catch {
                    return
                }
                await core.advance(to: wallClockNow())
            }
        } onGracefulShutdown: {
        }
    }
}
