import RenderCore

/// One line of typed text: the log filter, the partition filter and the
/// promotion override all use it. Its keys are the keymap's `textEntry`
/// context (Enter keeps, Esc clears, Backspace deletes); any other printable
/// key types.
public struct TextField: Sendable, Hashable {
    public var text: String
    public var editing: Bool

    public init(text: String = "", editing: Bool = false) {
        self.text = text
        self.editing = editing
    }

    public enum Outcome: Sendable, Hashable {
        case edited, committed, cleared, ignored
    }

    public mutating func handle(_ key: Key, keymap: Keymap) -> Outcome {
        switch keymap.action(for: key, in: .textEntry) {
        case .commitText:
            editing = false
            return .committed
        case .clearText:
            editing = false
            text = ""
            return .cleared
        case .deleteChar:
            if !text.isEmpty { text.removeLast() }
            return .edited
        default:
            guard case .char(let c) = key else { return .ignored }
            // A bounded field: no key storm grows it without limit.
            if text.count < 256 { text.append(c) }
            return .edited
        }
    }

    /// The text with a cursor while editing.
    public var shown: String { editing ? text + "_" : text }
}
