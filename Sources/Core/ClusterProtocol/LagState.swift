/// How a byte-lag figure is to be read. Patroni reports a number, the string
/// `unknown` (no position), nothing while a member starts, and a replica can
/// be ahead of what the leader last published: each is shown as such, never
/// as a blank or a false 0.
public enum LagState: WireEnum {
    /// `lag_bytes` holds the figure.
    case measured
    case unknown
    case ahead
    case starting
    case other(String)

    public init(wire: String) {
        switch wire {
        case "measured": self = .measured
        case "unknown": self = .unknown
        case "ahead": self = .ahead
        case "starting": self = .starting
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .measured: "measured"
        case .unknown: "unknown"
        case .ahead: "ahead"
        case .starting: "starting"
        case .other(let s): s
        }
    }
}
