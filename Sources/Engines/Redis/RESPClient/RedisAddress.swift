/// A Redis node's address as Redis writes it: `host:port`, an IPv6 host
/// possibly in brackets.
public enum RedisAddress {
    /// `host:port` split; nil when it is not of that form.
    public static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = Substring(address[..<colon])
        while host.first == "[" { host = host.dropFirst() }
        while host.last == "]" { host = host.dropLast() }
        return host.isEmpty ? nil : (String(host), port)
    }
}
