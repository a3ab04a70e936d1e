import DequeModule

/// The event ids applied most recently (the de-duplication window), exact
/// and cheap per event: a ring of the last `capacity` ids, and an
/// open-addressing table from a 64-bit fingerprint of each id to its place
/// in the ring. A fingerprint match is confirmed by comparing the ids, so
/// two ids that share a fingerprint are never mistaken for each other.
public struct RecentIDs: Sendable {
    public let capacity: Int
    private var ring: [String]
    private var ringPrints: [UInt64]
    private var head = 0
    public private(set) var count = 0
    /// Linear probing; `slots[i] == -1` is empty.
    private var prints: [UInt64]
    private var slots: [Int32]
    private let mask: Int
    private let seed: UInt64
    private let printMask: UInt64

    public init(capacity: Int) {
        self.init(capacity: capacity, seed: UInt64.random(in: 0...UInt64.max), printMask: .max)
    }

    /// `printMask` narrows fingerprints so tests can force collisions.
    init(capacity: Int, seed: UInt64, printMask: UInt64) {
        self.capacity = max(1, min(capacity, Int(Int32.max) / 4))
        var size = 16
        while size < self.capacity * 2 { size <<= 1 }
        mask = size - 1
        ring = Array(repeating: "", count: self.capacity)
        ringPrints = Array(repeating: 0, count: self.capacity)
        prints = Array(repeating: 0, count: size)
        slots = Array(repeating: -1, count: size)
        self.seed = seed
        self.printMask = printMask
    }

    public func contains(_ id: String) -> Bool {
        find(id, fingerprint(id)) != nil
    }

    /// Inserts `id`; false when it is already in the window.
    @discardableResult
    public mutating func insert(_ id: String) -> Bool {
        let fp = fingerprint(id)
        if find(id, fp) != nil { return false }
        if count == capacity {
            removeEntry(forRingSlot: head)
        } else {
            count += 1
        }
        ring[head] = id
        ringPrints[head] = fp
        var i = Int(truncatingIfNeeded: fp) & mask
        while slots[i] != -1 { i = (i + 1) & mask }
        prints[i] = fp
        slots[i] = Int32(head)
        head += 1
        if head == capacity { head = 0 }
        return true
    }

    private func find(_ id: String, _ fp: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: fp) & mask
        while true {
            let s = slots[i]
            if s == -1 { return nil }
            if prints[i] == fp, ring[Int(s)] == id { return i }
            i = (i + 1) & mask
        }
    }

    /// Removes the table entry that points at ring slot `r` (backward-shift
    /// deletion keeps every probe chain unbroken).
    private mutating func removeEntry(forRingSlot r: Int) {
        var i = Int(truncatingIfNeeded: ringPrints[r]) & mask
        while slots[i] != Int32(r) {
            if slots[i] == -1 { return }  // not reachable: every ring slot in use has an entry
            i = (i + 1) & mask
        }
        var j = i
        while true {
            j = (j + 1) & mask
            if slots[j] == -1 { break }
            let home = Int(truncatingIfNeeded: prints[j]) & mask
            // Move j back to i unless its home lies cyclically in (i, j].
            let stays = i <= j ? (home > i && home <= j) : (home > i || home <= j)
            if !stays {
                prints[i] = prints[j]
                slots[i] = slots[j]
                i = j
            }
        }
        slots[i] = -1
    }

    /// A seeded 64-bit hash of the id's UTF-8 bytes, 8 bytes at a time.
    private func fingerprint(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { bytes -> UInt64 in
            var h = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
                h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 29
                i += 8
            }
            var w: UInt64 = 0
            var k: UInt64 = 0
            while i < n {
                w |= UInt64(bytes[i]) << (8 * k)
                i += 1
                k += 1
            }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 33
            h = h &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 33
            return h & printMask
        }
    }
}

/// A dictionary that keeps insertion order and drops the oldest entries past `capacity`.
public struct BoundedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    public private(set) var storage: [Key: Value] = [:]
    private var order: Deque<Key> = []

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public subscript(key: Key) -> Value? {
        get { storage[key] }
        set {
            guard let newValue else {
                if storage.removeValue(forKey: key) != nil, let i = order.firstIndex(of: key) {
                    order.remove(at: i)
                }
                return
            }
            if storage.updateValue(newValue, forKey: key) == nil {
                order.append(key)
                while order.count > capacity, let oldest = order.popFirst() {
                    storage.removeValue(forKey: oldest)
                }
            }
        }
    }

    /// Keys from oldest to newest.
    public var keys: Deque<Key> { order }

    /// Values from oldest to newest.
    public var values: [Value] { order.compactMap { storage[$0] } }
}
