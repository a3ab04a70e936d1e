/// Who is asking: a bearer token's scope (protocol v1's `read` and
/// `operate` tokens).
public enum TokenScope: String, Sendable, Hashable {
    case read, operate
}
