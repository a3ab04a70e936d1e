/// One row of a result, as the server sent it: each column's name and its
/// text, nil for SQL NULL (which is never read as 0 or "").
public struct MySQLRow: Sendable, Hashable {
    public var columns: [String]
    public var values: [String?]

    public init(columns: [String], values: [String?]) {
        self.columns = columns
        self.values = values
    }

    /// The column's text; nil when the row lacks the column or holds NULL.
    public subscript(_ name: String) -> String? {
        guard let i = columns.firstIndex(of: name), i < values.count else { return nil }
        return values[i]
    }

    /// The first of `names` the row has (MariaDB's and MySQL 8's names for
    /// one column: `Slave_IO_Running`, `Replica_IO_Running`).
    public func first(_ names: String...) -> String? {
        for n in names { if let v = self[n] { return v } }
        return nil
    }

    /// Whether the row has a column of that name (NULL or not).
    public func has(_ name: String) -> Bool { columns.contains(name) }
}
