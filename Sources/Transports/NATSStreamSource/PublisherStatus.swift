import ClusterProtocol

/// What the active publisher says of itself once a second on
/// `clusterdash.<cluster>.status` (core NATS, outside the stream, so it is
/// heard while JetStream cannot store anything): whether it publishes or
/// holds events, how many, since when, for what it waits, and the last
/// stretch it had to drop. Readers show it in the header and the alerts of
/// every dashboard (docs/PROTOCOL.md, "On NATS JetStream").
public struct PublisherStatus: Sendable, Hashable {
    /// The publisher's name (its lease's).
    public var publisher: String
    /// The epoch it publishes (`Clusterdash-Epoch`): a reader of a quiet
    /// stream learns of a new one here before any event of it comes.
    public var epoch: String?
    public var at: Timestamp
    /// Events held because JetStream cannot store them now.
    public var held: Int
    /// When the oldest held one came.
    public var heldSince: Timestamp?
    /// Why it holds: "the stream's leader", "the lease", "acknowledgements".
    public var waitingFor: String?
    /// The last stretch dropped past the hold's bound (its readers lose it).
    public var lostFrom: Timestamp?
    public var lostTo: Timestamp?
    public var lostEvents: Int64?

    public init(publisher: String, at: Timestamp, held: Int = 0, heldSince: Timestamp? = nil, waitingFor: String? = nil) {
        self.publisher = publisher
        self.at = at
        self.held = held
        self.heldSince = heldSince
        self.waitingFor = waitingFor
    }

    public var json: [UInt8] {
        var b = ObjectBuilder()
        b.put("publisher", publisher)
        b.put("epoch", epoch)
        b.put("at", at)
        b.put("held", held)
        b.put("held_since", heldSince)
        b.put("waiting_for", waitingFor)
        b.put("lost_from", lostFrom)
        b.put("lost_to", lostTo)
        b.put("lost_events", lostEvents)
        return Array(JSONWriter.string(b.value).utf8)
    }

    /// nil for anything that is not such an object (it is skipped).
    public init?(json bytes: [UInt8]) {
        guard bytes.count <= 4_096, let o = (try? JSONParser.parse(bytes))?.objectValue,
            let publisher = o["publisher"]?.stringValue, let at = o["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            case .int(let held)? = o["held"], held >= 0
        else { return nil }
        self.init(
            publisher: String(publisher.prefix(80)), at: at, held: Int(clamping: held),
            heldSince: o["held_since"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            waitingFor: o["waiting_for"]?.stringValue.map { String($0.prefix(80)) })
        epoch = o["epoch"]?.stringValue.map { String($0.prefix(80)) }
        lostFrom = o["lost_from"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        lostTo = o["lost_to"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        if case .int(let n)? = o["lost_events"] { lostEvents = n }
    }

    /// The reader's warning, nil while nothing is held.
    public var warning: String? {
        guard held > 0 else { return nil }
        let since = heldSince.map { " since \($0.clockTime)" } ?? ""
        let why = waitingFor.map { " waiting for \($0)" } ?? ""
        return "publisher \(publisher) holds \(held) events\(since),\(why): they are stored in order once JetStream takes them"
    }
}
