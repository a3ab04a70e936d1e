import ClusterState
import Foundation
import TOMLKit

/// Typed reads of a TOML file's values: a value of the wrong type, or one
/// that does not parse, is an error naming the file, the line and the field.
/// The value itself is never echoed where it could be a credential.
public struct ConfigReader: Sendable {
    /// The file read.
    public let path: String
    private let lines: ConfigLines

    public init(text: String, path: String) {
        self.path = path
        lines = ConfigLines(text)
    }

    /// An error about `field` (`clusters.prod.theme`) of this file, with its line.
    public func error(field: String, _ message: String) -> ConfigError {
        // `endpoints[1]` stands on the line of `endpoints`.
        let key = field.firstIndex(of: "[").map { String(field[..<$0]) } ?? field
        return ConfigError(file: path, line: lines.line(of: ConfigLines.keyPath(key)), field: field, message: message)
    }

    public func join(_ at: String?, _ key: String) -> String { at.map { "\($0).\(key)" } ?? key }

    func wrongType(_ field: String, expected: String, found value: any TOMLValueConvertible) -> ConfigError {
        let name = value.type.description
        let article = "aeiou".contains(name.prefix(1)) ? "an" : "a"
        return error(field: field, "expected \(expected), found \(article) \(name)")
    }

    public func onlyKnown(_ t: TOMLTable, _ known: Set<String>, at: String?) throws(ConfigError) {
        for key in t.keys.sorted() where !known.contains(key) {
            // The value is never echoed: it may be a credential put in the wrong place.
            throw error(field: join(at, key), "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    public func string(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> String? {
        guard let v = t[key] else { return nil }
        guard let s = v.string else { throw wrongType(join(at, key), expected: "a string", found: v) }
        return s
    }

    public func bool(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> Bool? {
        guard let v = t[key] else { return nil }
        guard let b = v.bool else { throw wrongType(join(at, key), expected: "true or false", found: v) }
        return b
    }

    public func table(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard let table = v.table else { throw wrongType(join(at, key), expected: "a table", found: v) }
        return table
    }

    public func stringArray(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> [String]? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        guard let array = v.array else { throw wrongType(field, expected: "an array of strings", found: v) }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else { throw wrongType("\(field)[\(i)]", expected: "a string", found: item) }
            out.append(s)
        }
        return out
    }

    public func duration(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> Int64? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        guard let s = v.string else { throw wrongType(field, expected: "a duration such as \"30s\"", found: v) }
        guard let ms = parseDuration(s) else { throw error(field: field, "not a duration (like 500ms, 30s, 1m30s)") }
        return ms
    }

    /// A count (of transactions, …): a whole number, 0 or more.
    public func count(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> Int64? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        guard let i = v.int else { throw wrongType(field, expected: "a whole number", found: v) }
        guard i >= 0 else { throw error(field: field, "below 0") }
        return Int64(i)
    }

    public func byteSize(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> Int64? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        if let i = v.int, i >= 0 { return Int64(i) }
        guard let s = v.string else { throw wrongType(field, expected: "a size such as \"16MiB\" or a number of bytes", found: v) }
        guard let b = parseByteSize(s) else { throw error(field: field, "not a size (like 1048576, 512KiB, 16MiB)") }
        return b
    }
}

/// One `[clusters.X]` table as an engine reads its own keys from it.
public struct ClusterTable {
    /// The cluster's name (`X`).
    public let cluster: String
    public let reader: ConfigReader
    let table: TOMLTable

    public init(cluster: String, table: TOMLTable, reader: ConfigReader) {
        self.cluster = cluster
        self.table = table
        self.reader = reader
    }

    /// `clusters.X`, the prefix of this table's fields.
    public var at: String { "clusters.\(cluster)" }

    public func has(_ key: String) -> Bool { table[key] != nil }
    public func error(_ key: String, _ message: String) -> ConfigError { reader.error(field: "\(at).\(key)", message) }

    public func string(_ key: String) throws(ConfigError) -> String? { try reader.string(table, key, at: at) }
    public func bool(_ key: String) throws(ConfigError) -> Bool? { try reader.bool(table, key, at: at) }
    public func stringArray(_ key: String) throws(ConfigError) -> [String]? { try reader.stringArray(table, key, at: at) }

    /// A non-empty list of `host:port`; `missing` says what it is for.
    public func hostPorts(_ key: String) throws(ConfigError) -> [String] {
        guard has(key), let list = try stringArray(key) else { throw error(key, "missing: give at least one host:port") }
        if list.isEmpty { throw error(key, "empty: give at least one host:port") }
        for (i, a) in list.enumerated() where HostPort(a) == nil {
            // Shown only when it cannot carry a password.
            let shown = a.contains("@") ? " (an address with credentials)" : ": \(a.prefix(60))"
            throw reader.error(field: "\(at).\(key)[\(i)]", "not host:port\(shown)")
        }
        return list
    }

    /// A list of `http://` or `https://` URLs; `missing` is the message when
    /// it is required and absent.
    public func httpURLs(_ key: String, missing: String?) throws(ConfigError) -> [String] {
        guard has(key) else {
            if let missing { throw error(key, "missing: \(missing)") }
            return []
        }
        guard let urls = try stringArray(key) else { return [] }
        if missing != nil && urls.isEmpty { throw error(key, "empty: give at least one http:// or https:// URL") }
        for (i, url) in urls.enumerated() {
            guard let c = URLComponents(string: url), c.scheme == "http" || c.scheme == "https", let host = c.host, !host.isEmpty else {
                // Shown only when it cannot carry a password.
                let shown = url.contains("@") ? "" : ": \(url)"
                throw reader.error(field: "\(at).\(key)[\(i)]", "not an http:// or https:// URL\(shown)")
            }
        }
        return urls
    }
}

/// `host:port`, split; nil when it is not of that form (the port 1-65535).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// `host:port`; nil for anything else, a URL or credentials
    /// (`user:password@host:port`) among them.
    public init?(_ address: String) {
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
            let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port),
            !address[..<colon].contains(where: { $0 == "@" || $0 == "/" || $0.isWhitespace })
        else { return nil }
        host = String(address[..<colon])
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    /// Why `url` is not a NATS server's `nats://host:port` (an engine that
    /// watches NATS itself); nil when it is. Credentials in it are refused
    /// and never echoed.
    public static func natsURLProblem(_ url: String) -> String? {
        guard url.hasPrefix("nats://") else {
            return url.contains("@") ? "not a nats:// URL (one with credentials)" : "not a nats:// URL: \(url.prefix(60))"
        }
        let rest = url.dropFirst("nats://".count)
        if rest.contains("@") { return "NATS credentials do not go in the URL (auth_env, or CLUSTERDASH_NATS_USER/_PASSWORD)" }
        guard HostPort(String(rest.hasSuffix("/") ? rest.dropLast() : rest)) != nil else { return "not nats://host:port: \(url.prefix(60))" }
        return nil
    }
}
