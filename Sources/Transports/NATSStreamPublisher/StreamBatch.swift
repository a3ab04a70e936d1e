import ClusterProtocol
import NATSStreamSource

/// Consecutive envelopes gathered into one stored message (the format is
/// `StoredBatch`'s), within its bounds. Its subject is their source's, or
/// the cluster's subject for several sources' (`mixedEvents`) once they
/// come from more than one.
struct StreamBatch {
    private(set) var subject: String
    /// The first envelope's id and time.
    let firstID: String
    let at: Timestamp
    private(set) var payload: [UInt8]
    private(set) var events = 1
    /// False once an envelope that cannot share a message is in it.
    private var open: Bool

    /// `joinable`: `StoredBatch.canJoin(payload)`, asked once per envelope
    /// by the caller (it reads every byte).
    init(subject: String, id: String, payload: [UInt8], at: Timestamp, joinable: Bool) {
        self.subject = subject
        firstID = id
        self.at = at
        self.payload = payload
        open = joinable
    }

    /// Whether an envelope (`joinable` as above) can join.
    func takes(payload: [UInt8], joinable: Bool) -> Bool {
        open && joinable && events < StoredBatch.maxEvents && self.payload.count + 1 + payload.count <= StoredBatch.maxBytes
    }

    /// Adds an envelope of `subject`; the batch goes to `mixed` once its
    /// envelopes' subjects differ.
    mutating func add(_ more: [UInt8], subject: String, mixed: String) {
        payload.append(10)
        payload.append(contentsOf: more)
        events += 1
        if subject != self.subject { self.subject = mixed }
    }
}
