/// The characters widgets draw with: Unicode line drawing, or plain ASCII
/// for terminals without it (`--ascii`).
public struct Symbols: Sendable, Hashable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var ellipsis: Character
    /// Sparkline bars from lowest to highest.
    public var bars: [Character]
    public var gaugeFilled: Character
    public var gaugeEmpty: Character
    public var scrollMarker: Character

    public static let unicode = Symbols(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        ellipsis: "…", bars: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], gaugeFilled: "█", gaugeEmpty: "░",
        scrollMarker: "▐")

    public static let ascii = Symbols(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        ellipsis: "~", bars: [".", ".", ":", ":", "|", "|", "#", "#"], gaugeFilled: "#", gaugeEmpty: ".",
        scrollMarker: "#")
}
