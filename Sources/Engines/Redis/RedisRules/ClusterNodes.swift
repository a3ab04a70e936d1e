import ClusterState

/// One line of `CLUSTER NODES`: a node as the answering node sees it.
public struct ClusterNode: Sendable, Hashable {
    public var id: String
    /// `ip:port` clients use ("" for a node with no address yet).
    public var address: String
    public var busPort: Int?
    public var hostname: String?
    /// `myself`, `master`, `slave`, `fail?` (PFAIL), `fail`, `handshake`, `noaddr`, `nofailover`, `noflags`.
    public var flags: Set<String>
    /// The master this replica follows; nil for a master.
    public var masterID: String?
    /// Unix milliseconds of the last ping sent (0: none pending) and pong received.
    public var pingSent: Int64
    public var pongReceived: Int64
    public var configEpoch: Int64
    public var linkConnected: Bool
    /// The slots this node serves, as ranges.
    public var slots: [ClosedRange<Int>]
    /// Slots being moved away: slot -> the node id they go to.
    public var migrating: [Int: String]
    /// Slots being moved in: slot -> the node id they come from.
    public var importing: [Int: String]

    public var isMaster: Bool { flags.contains("master") }
    public var isMyself: Bool { flags.contains("myself") }
    /// PFAIL: the answering node cannot reach it (not yet agreed).
    public var isSuspect: Bool { flags.contains("fail?") }
    /// FAIL: a majority of masters agreed it is down.
    public var isFailed: Bool { flags.contains("fail") }
    public var slotCount: Int { slots.reduce(0) { $0 + $1.count } }
}

/// `CLUSTER NODES`, read strictly: a line that is not a node line is an error
/// naming the line, never a node made up.
public enum ClusterNodes {
    public static let slotCount = HashSlot.count

    public static func parse(_ text: String) throws(ClusterNodesError) -> [ClusterNode] {
        var nodes: [ClusterNode] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingSuffix { $0 == "\r" || $0 == " " }
            guard !line.isEmpty else { continue }
            do throws(ClusterNodesError) {
                nodes.append(try node(line))
            } catch {
                throw ClusterNodesError("CLUSTER NODES line \(i + 1): \(error.description)")
            }
        }
        return nodes
    }

    static func node(_ line: Substring) throws(ClusterNodesError) -> ClusterNode {
        let f = line.split(separator: " ")
        guard f.count >= 8 else { throw ClusterNodesError("\(f.count) fields, not 8 or more") }
        guard f[0].count == 40, f[0].allSatisfy(\.isHexDigit) else { throw ClusterNodesError("not a node id: \(f[0].prefix(48))") }
        // ip:port@cport[,hostname]
        let addressField = f[1].split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        let endpoint = addressField[0].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let address = endpoint[0] == ":0" ? "" : String(endpoint[0])
        guard let ping = Int64(f[4]), let pong = Int64(f[5]), let epoch = Int64(f[6]) else {
            throw ClusterNodesError("ping, pong or epoch is not a number")
        }
        guard f[7] == "connected" || f[7] == "disconnected" else { throw ClusterNodesError("link state \(f[7].prefix(16))") }
        var node = ClusterNode(
            id: String(f[0]), address: address, busPort: endpoint.count > 1 ? Int(endpoint[1]) : nil,
            hostname: addressField.count > 1 && !addressField[1].isEmpty ? String(addressField[1]) : nil,
            flags: Set(f[2].split(separator: ",").map(String.init)), masterID: f[3] == "-" ? nil : String(f[3]), pingSent: ping,
            pongReceived: pong, configEpoch: epoch, linkConnected: f[7] == "connected", slots: [], migrating: [:], importing: [:])
        for token in f.dropFirst(8) {
            if token.hasPrefix("[") {
                // [slot->-target] migrating, [slot-<-source] importing
                let inner = token.dropFirst().dropLast()
                guard token.hasSuffix("]") else { throw ClusterNodesError("an unclosed slot mark \(token.prefix(60))") }
                if let r = inner.firstRange(of: "->-"), let slot = slotNumber(inner[..<r.lowerBound]) {
                    node.migrating[slot] = String(inner[r.upperBound...])
                } else if let r = inner.firstRange(of: "-<-"), let slot = slotNumber(inner[..<r.lowerBound]) {
                    node.importing[slot] = String(inner[r.upperBound...])
                } else {
                    throw ClusterNodesError("a slot mark that is neither migrating nor importing: \(token.prefix(60))")
                }
                continue
            }
            let bounds = token.split(separator: "-", maxSplits: 1)
            guard let low = slotNumber(bounds[0]), let high = bounds.count == 2 ? slotNumber(bounds[1]) : low, low <= high else {
                throw ClusterNodesError("not a slot or slot range: \(token.prefix(32))")
            }
            node.slots.append(low...high)
        }
        return node
    }

    static func slotNumber(_ s: Substring) -> Int? {
        guard let n = Int(s), (0..<slotCount).contains(n) else { return nil }
        return n
    }
}

extension Substring {
    func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
        var s = self
        while let last = s.last, drop(last) { s = s.dropLast() }
        return s
    }
}

/// A `CLUSTER NODES` answer that cannot be read, and why.
public struct ClusterNodesError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
