/// A concrete colour as a theme names it.
public enum ThemeColor: Sendable, Hashable {
    /// The terminal's own foreground or background.
    case terminal
    /// One of the 16 ANSI colours (0-7 normal, 8-15 bright).
    case ansi(UInt8)
    /// An entry of the 256-colour palette.
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    static let ansiNames = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "bright_black", "bright_red",
        "bright_green", "bright_yellow", "bright_blue", "bright_magenta", "bright_cyan", "bright_white",
    ]

    /// Parses `default`, an ANSI name, `#rrggbb`, or a palette index `0`-`255`.
    public init?(name: String) {
        let n = name.lowercased()
        if n == "default" || n == "terminal" || n.isEmpty {
            self = .terminal
        } else if let i = ThemeColor.ansiNames.firstIndex(of: n) {
            self = .ansi(UInt8(i))
        } else if n.hasPrefix("#"), n.count == 7, let v = UInt32(n.dropFirst(), radix: 16) {
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
        } else if let i = UInt8(n) {
            self = .indexed(i)
        } else {
            return nil
        }
    }
}

/// How one slot looks.
public struct ThemeStyle: Sendable, Hashable {
    public var fg: ThemeColor
    public var bg: ThemeColor
    /// Attributes the theme adds (they stay when colour is off).
    public var modifiers: Modifiers

    public init(fg: ThemeColor = .terminal, bg: ThemeColor = .terminal, modifiers: Modifiers = []) {
        self.fg = fg
        self.bg = bg
        self.modifiers = modifiers
    }
}

/// A theme: a name and a style per slot. Files live in `themes/*.toml`.
public struct Theme: Sendable, Hashable {
    public var name: String
    public var styles: [Slot: ThemeStyle]

    public init(name: String, styles: [Slot: ThemeStyle]) {
        self.name = name
        self.styles = styles
    }

    public func style(_ slot: Slot) -> ThemeStyle { styles[slot] ?? ThemeStyle() }
}
