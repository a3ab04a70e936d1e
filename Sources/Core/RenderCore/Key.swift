/// A key press, as the backend reads it and the keymap binds it.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case char(Character)
    /// Ctrl plus a letter (Ctrl-C is `.ctrl("c")`).
    case ctrl(Character)
    case enter, escape, tab, backTab, backspace
    case up, down, left, right, home, end, pageUp, pageDown

    /// How help and the status line write the key.
    public var description: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .ctrl(let c): "Ctrl-\(c)"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .backspace: "Backspace"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        }
    }
}
