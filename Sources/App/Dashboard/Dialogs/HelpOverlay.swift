import RenderCore

/// The help overlay: every binding of the keymap, scrollable.
func performHelp(_ m: inout AppModel, scroll: Int, _ action: Action) {
    switch action {
    case .dismiss: m.overlay = nil
    case .down: m.overlay = .help(scroll: scroll + 1)
    case .up: m.overlay = .help(scroll: max(0, scroll - 1))
    case .top: m.overlay = .help(scroll: 0)
    case .pageDown: m.overlay = .help(scroll: scroll + 10)
    case .pageUp: m.overlay = .help(scroll: max(0, scroll - 10))
    default: break
    }
}

func renderHelp(_ m: AppModel, _ scroll: Int, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let lines = m.keymap.helpLines()
    let r = dialogRect(area, width: 72, height: min(area.height, lines.count + 8))
    let inner = openDialog("Help", r, &b, sym)
    var rows: [Line] = []
    var section = ""
    for l in lines {
        if l.section != section {
            if !section.isEmpty { rows.append(Line("")) }
            section = l.section
            rows.append(Line(section, Style(.title, .bold)))
        }
        rows.append(Line([Span(l.keys.fitted(to: 18), Style(AppSlot.key, .bold)), Span(l.help)]))
    }
    rows.append(Line(""))
    rows.append(Line("Roles: \(sym == .ascii ? "P primary  r replica  c candidate" : "★ primary  ● replica  ◐ candidate")  ? unknown", Style(.dim)))
    Paragraph(rows, scroll: min(scroll, max(0, rows.count - inner.height))).render(inner, &b)
}
