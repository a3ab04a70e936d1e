import ClusterProtocol
import ClusterSim
import ClusterState
import TOMLKit

/// A timeline of faults read from a TOML file (docs/SIMULATOR.md):
///
/// ```toml
/// [[step]]
/// at = "10s"
/// fault = "crash"
/// node = "node-3"
/// ```
public struct Scenario: Sendable {
    public struct Step: Sendable, Hashable {
        /// Milliseconds after the simulator starts.
        public var atMillis: Int64
        public var fault: Fault

        public init(atMillis: Int64, fault: Fault) {
            self.atMillis = atMillis
            self.fault = fault
        }
    }

    public var steps: [Step]

    public init(steps: [Step]) {
        self.steps = steps
    }

    /// The faults with their absolute times, for a simulator started at `start`.
    public func schedule(from start: Timestamp) -> [(Fault, Timestamp)] {
        steps.map { ($0.fault, start.adding(millis: $0.atMillis)) }
    }

    /// Parses a scenario; errors name the step and the field.
    public static func parse(toml text: String) throws(ScenarioError) -> Scenario {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ScenarioError("not TOML: \(e.description) at line \(e.source.begin.line)")
        } catch {
            throw ScenarioError("not TOML: \(error)")
        }
        guard let array = table["step"]?.array else {
            throw ScenarioError("no [[step]] entries")
        }
        var steps: [Step] = []
        for (i, item) in array.enumerated() {
            guard let t = item.table else { throw ScenarioError("step \(i + 1) is not a table") }
            func text(_ key: String) -> String? { t[key]?.string }
            func need(_ key: String) throws(ScenarioError) -> String {
                guard let v = text(key) else { throw ScenarioError("step \(i + 1): missing `\(key)`") }
                return v
            }
            func duration(_ key: String) throws(ScenarioError) -> Int64? {
                if let n = t[key]?.int { return Int64(n) * 1000 }
                guard let raw = text(key) else { return nil }
                guard let ms = parseDuration(raw) else {
                    throw ScenarioError("step \(i + 1): `\(key)` = \"\(raw)\" is not a duration (like 500ms, 10s, 1m30s)")
                }
                return ms
            }
            guard let at = try duration("at") else { throw ScenarioError("step \(i + 1): missing `at`") }
            let kind = try need("fault")
            let fault: Fault
            switch kind {
            case "lag_spike":
                fault = .lagSpike(
                    node: try need("node"), millis: try duration("lag") ?? 45_000,
                    durationMillis: try duration("duration") ?? 15_000)
            case "crash": fault = .crash(node: try need("node"))
            case "restart": fault = .restart(node: try need("node"))
            case "degrade": fault = .degrade(node: try need("node"), durationMillis: try duration("duration"))
            case "recover": fault = .recover(node: try need("node"))
            case "quorum_loss": fault = .quorumLoss(durationMillis: try duration("duration") ?? 15_000)
            case "disconnect": fault = .disconnect(node: try need("node"), durationMillis: try duration("duration"))
            case "reconnect": fault = .reconnect(node: try need("node"))
            case "suppressed": fault = .suppressedRepeat(node: text("node"))
            default:
                throw ScenarioError(
                    "step \(i + 1): unknown fault `\(kind)` (lag_spike, crash, restart, degrade, recover, quorum_loss, disconnect, reconnect, suppressed)"
                )
            }
            steps.append(Step(atMillis: at, fault: fault))
        }
        return Scenario(steps: steps.sorted { $0.atMillis < $1.atMillis })
    }
}

public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
