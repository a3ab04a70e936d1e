/// A semantic colour slot. The render core names a few generic slots; an
/// application defines its own (roles, health, lag levels) with other raw
/// values, and a theme maps every slot to concrete colours. Cells hold slots,
/// never terminal colours, so nothing here depends on a terminal.
public struct Slot: RawRepresentable, Sendable, Hashable, Comparable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ raw: UInt8) { self.rawValue = raw }

    public static func < (a: Slot, b: Slot) -> Bool { a.rawValue < b.rawValue }

    /// The terminal's own colours.
    public static let normal = Slot(0)
    public static let dim = Slot(1)
    public static let border = Slot(2)
    public static let borderFocused = Slot(3)
    public static let title = Slot(4)
    public static let titleFocused = Slot(5)
    public static let header = Slot(6)
    public static let selection = Slot(7)
    public static let accent = Slot(8)
    /// First raw value free for applications.
    public static let firstApplicationSlot: UInt8 = 32
}

/// Text attributes that carry meaning even without colour.
public struct Modifiers: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = Modifiers(rawValue: 1 << 0)
    public static let dim = Modifiers(rawValue: 1 << 1)
    public static let reverse = Modifiers(rawValue: 1 << 2)
    public static let underline = Modifiers(rawValue: 1 << 3)
    public static let blink = Modifiers(rawValue: 1 << 4)
}

/// A backend-neutral style: a semantic slot plus modifiers.
public struct Style: Sendable, Hashable {
    public var slot: Slot
    public var modifiers: Modifiers

    public init(_ slot: Slot = .normal, _ modifiers: Modifiers = []) {
        self.slot = slot
        self.modifiers = modifiers
    }

    public static let normal = Style()

    public func adding(_ m: Modifiers) -> Style {
        Style(slot, modifiers.union(m))
    }

    public var bold: Style { adding(.bold) }
    public var reversed: Style { adding(.reverse) }
}
