import ClusterState
import EventSources
import Foundation
import Logging
import ProtocolV1Source

/// The one place a dashboard's source is chosen from the endpoints the
/// config or flags name: an engine plugs in here by its URL scheme (today
/// `ws://` and `wss://`, protocol v1). Recording wraps whichever it is.
enum SourceFactory {
    struct Made {
        var source: any EventSource
        /// Nil when the source accepts no command (or the dashboard is read-only).
        var commands: (any CommandSink)?
    }

    static let schemes = ["ws", "wss"]

    static func make(
        _ endpoints: [EndpointConfig], record: String?, readOnly: Bool, logger: Logger
    ) throws -> Made {
        for e in endpoints {
            let scheme = URLComponents(string: e.url)?.scheme ?? ""
            guard schemes.contains(scheme) else {
                throw ValidationFailure(
                    "\(e.displayName): no source speaks \(scheme.isEmpty ? "this URL" : "\(scheme)://") (have: \(schemes.map { "\($0)://" }.joined(separator: ", ")))"
                )
            }
        }
        let ws = WebSocketSource(endpoints: endpoints, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = readOnly || ws.provides.isDisjoint(with: .commands) ? nil : ws
        guard let record else { return Made(source: ws, commands: commands) }
        return Made(source: RecordedSource(ws, recorder: try Recorder(path: record)), commands: commands)
    }
}
