import RenderCore
import TOMLKit

/// The dashboard's semantic colour slots (RenderCore's generic ones are 0-31).
public enum AppSlot {
    public static let rolePrimary = Slot(32)
    public static let roleReplica = Slot(33)
    public static let roleCandidate = Slot(34)
    public static let roleUnknown = Slot(35)
    public static let healthOK = Slot(36)
    public static let healthSuspect = Slot(37)
    public static let healthDegraded = Slot(38)
    public static let healthBad = Slot(39)
    public static let lagOK = Slot(40)
    public static let lagWarn = Slot(41)
    public static let lagCrit = Slot(42)
    public static let logInfo = Slot(43)
    public static let logNotice = Slot(44)
    public static let logWarning = Slot(45)
    public static let logCritical = Slot(46)
    public static let headerBar = Slot(47)
    public static let badge = Slot(48)
    public static let alert = Slot(49)
    public static let ok = Slot(50)
    public static let dialog = Slot(51)
    public static let statusBar = Slot(52)
    public static let key = Slot(53)

    /// Every slot with its name in theme files.
    public static let named: [(String, Slot)] = [
        ("normal", .normal), ("dim", .dim), ("border", .border), ("border_focused", .borderFocused), ("title", .title),
        ("title_focused", .titleFocused), ("header", .header), ("selection", .selection), ("accent", .accent),
        ("role_primary", rolePrimary), ("role_replica", roleReplica), ("role_candidate", roleCandidate),
        ("role_unknown", roleUnknown), ("health_ok", healthOK), ("health_suspect", healthSuspect),
        ("health_degraded", healthDegraded), ("health_bad", healthBad), ("lag_ok", lagOK), ("lag_warn", lagWarn),
        ("lag_crit", lagCrit), ("log_info", logInfo), ("log_notice", logNotice), ("log_warning", logWarning),
        ("log_critical", logCritical), ("header_bar", headerBar), ("badge", badge), ("alert", alert), ("ok", ok),
        ("dialog", dialog), ("status_bar", statusBar), ("key", key),
    ]
}

extension Theme {
    /// Parses a theme file:
    ///
    /// ```toml
    /// name = "dark"
    /// [slots]
    /// role_primary = { fg = "bright_green", bold = true }
    /// border = "bright_black"          # just a foreground
    /// ```
    public static func parse(toml text: String) throws(ThemeError) -> Theme {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw ThemeError("not TOML: \(error)")
        }
        guard let name = table["name"]?.string else { throw ThemeError("missing `name`") }
        guard let slots = table["slots"]?.table else { throw ThemeError("missing [slots]") }
        var styles: [Slot: ThemeStyle] = [:]
        let byName = Dictionary(AppSlot.named.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        for key in slots.keys {
            guard let slot = byName[key] else { throw ThemeError("unknown slot `\(key)`") }
            guard let value = slots[key] else { continue }
            if let fg = value.string {
                guard let c = ThemeColor(name: fg) else { throw ThemeError("\(key): unknown colour `\(fg)`") }
                styles[slot] = ThemeStyle(fg: c)
            } else if let t = value.table {
                var style = ThemeStyle()
                if let fg = t["fg"]?.string {
                    guard let c = ThemeColor(name: fg) else { throw ThemeError("\(key): unknown colour `\(fg)`") }
                    style.fg = c
                }
                if let bg = t["bg"]?.string {
                    guard let c = ThemeColor(name: bg) else { throw ThemeError("\(key): unknown colour `\(bg)`") }
                    style.bg = c
                }
                for (flag, m) in [("bold", Modifiers.bold), ("dim", .dim), ("reverse", .reverse), ("underline", .underline)] {
                    if t[flag]?.bool == true { style.modifiers.insert(m) }
                }
                styles[slot] = style
            } else {
                throw ThemeError("\(key): expected a colour name or a table")
            }
        }
        return Theme(name: name, styles: styles)
    }

    /// The theme used when no file is found: the terminal's colours with
    /// attributes that keep meaning visible.
    public static let fallback = Theme(
        name: "builtin",
        styles: [
            .titleFocused: ThemeStyle(modifiers: [.bold, .reverse]), .borderFocused: ThemeStyle(modifiers: .bold),
            .selection: ThemeStyle(modifiers: .reverse), .dim: ThemeStyle(modifiers: .dim), .header: ThemeStyle(modifiers: .bold),
            AppSlot.rolePrimary: ThemeStyle(modifiers: .bold), AppSlot.healthBad: ThemeStyle(modifiers: [.bold, .reverse]),
            AppSlot.lagCrit: ThemeStyle(modifiers: .bold), AppSlot.logCritical: ThemeStyle(modifiers: .bold),
            AppSlot.alert: ThemeStyle(modifiers: [.bold, .reverse]), AppSlot.badge: ThemeStyle(modifiers: .reverse),
            AppSlot.headerBar: ThemeStyle(modifiers: .reverse), AppSlot.key: ThemeStyle(modifiers: .bold),
        ])
}

public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}
