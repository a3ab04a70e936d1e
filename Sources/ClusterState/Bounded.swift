import DequeModule

/// A set of recently seen keys that forgets the oldest past `capacity`.
/// Used to apply each event id once without remembering every id forever.
public struct RecentSet<Key: Hashable & Sendable>: Sendable {
    public let capacity: Int
    private var members: Set<Key> = []
    private var order: Deque<Key> = []

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        members.reserveCapacity(self.capacity)
    }

    public var count: Int { order.count }

    public func contains(_ key: Key) -> Bool { members.contains(key) }

    /// Inserts `key`; returns false when it was already present.
    @discardableResult
    public mutating func insert(_ key: Key) -> Bool {
        guard members.insert(key).inserted else { return false }
        order.append(key)
        if order.count > capacity, let oldest = order.popFirst() {
            members.remove(oldest)
        }
        return true
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
