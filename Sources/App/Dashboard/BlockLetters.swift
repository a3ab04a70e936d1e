import RenderCore

/// Big letters for the wall's status banner, readable across a room.
enum BlockLetters {
    static let height = 5

    /// Each glyph: five rows of "#" and spaces, all the same width.
    static let glyphs: [Character: [String]] = [
        "A": [" ### ", "#   #", "#####", "#   #", "#   #"],
        "B": ["#### ", "#   #", "#### ", "#   #", "#### "],
        "C": [" ####", "#    ", "#    ", "#    ", " ####"],
        "D": ["#### ", "#   #", "#   #", "#   #", "#### "],
        "E": ["#####", "#    ", "#### ", "#    ", "#####"],
        "F": ["#####", "#    ", "#### ", "#    ", "#    "],
        "G": [" ####", "#    ", "#  ##", "#   #", " ####"],
        "I": ["#####", "  #  ", "  #  ", "  #  ", "#####"],
        "K": ["#   #", "#  # ", "###  ", "#  # ", "#   #"],
        "L": ["#    ", "#    ", "#    ", "#    ", "#####"],
        "M": ["#   #", "## ##", "# # #", "#   #", "#   #"],
        "N": ["#   #", "##  #", "# # #", "#  ##", "#   #"],
        "O": [" ### ", "#   #", "#   #", "#   #", " ### "],
        "P": ["#### ", "#   #", "#### ", "#    ", "#    "],
        "R": ["#### ", "#   #", "#### ", "#  # ", "#   #"],
        "S": [" ####", "#    ", " ### ", "    #", "#### "],
        "T": ["#####", "  #  ", "  #  ", "  #  ", "  #  "],
        "V": ["#   #", "#   #", "#   #", " # # ", "  #  "],
        "Y": ["#   #", " # # ", "  #  ", "  #  ", "  #  "],
        " ": ["   ", "   ", "   ", "   ", "   "],
    ]

    /// Columns `text` takes in block letters (one column between letters).
    static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + (glyphs[$1]?.first?.count ?? 5) + 1 } - 1
    }

    /// Draws `text` centred in `area`; falls back to plain text when it does not fit.
    static func draw(_ text: String, in area: Rect, _ b: inout Buffer, style: Style, symbols: Symbols) {
        let w = width(text)
        guard w <= area.width, area.height >= height else {
            let tw = min(text.count, area.width)
            b.write(text, x: area.x + max(0, (area.width - tw) / 2), y: area.y + area.height / 2, maxWidth: area.width, style: style.adding(.bold))
            return
        }
        let block: Character = symbols == .ascii ? "#" : "█"
        let x0 = area.x + (area.width - w) / 2
        let y0 = area.y + (area.height - height) / 2
        for row in 0..<height {
            var x = x0
            for ch in text {
                let g = glyphs[ch] ?? glyphs[" "] ?? []
                let line = row < g.count ? g[row] : ""
                for c in line {
                    if c == "#" { b.set(x, y0 + row, block, style) }
                    x += 1
                }
                x += 1
            }
        }
    }
}
