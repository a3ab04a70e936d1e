import ClusterProtocol
import Foundation

/// One change of a key under Patroni's prefix, from etcd's v3 watch.
public struct EtcdKeyEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case put, delete }
    public var kind: Kind
    public var key: String
    public var value: String

    public init(kind: Kind, key: String, value: String) {
        self.kind = kind
        self.key = key
        self.value = value
    }
}

/// Reads etcd's HTTP gateway watch stream: one JSON object per line,
/// `{"result":{"header":…,"events":[{"type":"DELETE","kv":{"key":b64,"value":b64}}]}}`.
/// A PUT carries no `type` (proto3 leaves the default out); keys and values
/// are base64; numbers are strings. Pure: the chunking is `WatchLineBuffer`'s.
public enum EtcdWatchParse {
    public enum Message: Sendable, Hashable {
        case created
        case events([EtcdKeyEvent])
        /// The gateway said something went wrong (`{"error":…}`), or a
        /// watch was cancelled or compacted.
        case failed(String)
    }

    public static func message(_ line: [UInt8]) throws(PatroniParseError) -> Message {
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch { throw PatroniParseError("etcd watch sent a line that is not JSON") }
        guard case .object(let o) = value else { throw PatroniParseError("etcd watch sent a line that is not an object") }
        if let error = o["error"] {
            let text = error.objectValue?["message"]?.stringValue ?? error.stringValue ?? "error"
            return .failed(String(text.prefix(200)))
        }
        guard case .object(let result)? = o["result"] else { throw PatroniParseError("etcd watch line has no result") }
        if result["canceled"] == .bool(true) {
            return .failed(result["cancel_reason"]?.stringValue ?? "watch cancelled")
        }
        if result["created"] == .bool(true) { return .created }
        var out: [EtcdKeyEvent] = []
        if case .array(let events)? = result["events"] {
            for ev in events {
                guard case .object(let e) = ev, case .object(let kv)? = e["kv"], let key = decode(kv["key"]) else { continue }
                let kind: EtcdKeyEvent.Kind = e["type"]?.stringValue == "DELETE" ? .delete : .put
                out.append(EtcdKeyEvent(kind: kind, key: key, value: decode(kv["value"]) ?? ""))
            }
        }
        return .events(out)
    }

    static func decode(_ v: JSONValue?) -> String? {
        guard let s = v?.stringValue, let d = Data(base64Encoded: s) else { return nil }
        return String(decoding: d, as: UTF8.self)
    }

    /// The watch request for every key under `prefix` (`/service/dash/`).
    public static func request(prefix: String) -> String {
        let key = Array(prefix.utf8)
        var end = key
        if let last = end.last { end[end.count - 1] = last &+ 1 }
        let k = Data(key).base64EncodedString()
        let e = Data(end).base64EncodedString()
        return "{\"create_request\":{\"key\":\"\(k)\",\"range_end\":\"\(e)\"}}"
    }
}

/// Splits a byte stream into lines, bounded: a line longer than `maxLine`
/// is dropped whole (and counted), never buffered without limit.
public struct WatchLineBuffer: Sendable {
    public let maxLine: Int
    private var pending: [UInt8] = []
    private var discarding = false
    public private(set) var oversized = 0

    public init(maxLine: Int = 4 << 20) { self.maxLine = maxLine }

    public mutating func append(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                if !discarding, !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
                discarding = false
            } else if !discarding {
                pending.append(b)
                if pending.count > maxLine {
                    pending.removeAll()
                    discarding = true
                    oversized += 1
                }
            }
        }
        return lines
    }
}
