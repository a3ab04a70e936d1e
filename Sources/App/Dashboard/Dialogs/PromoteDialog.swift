import ClusterProtocol
import ClusterState
import EngineKit
import EngineRegistry
import RenderCore

/// The promotion dialog: a state machine as a value.
public struct PromoteDialog: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// Choosing a candidate (j/k); `y` sends when every check passes.
        case choosing
        /// Checks fail and the user is typing the node's name to send anyway.
        case overriding(TextField)
        case sent(requestID: String, candidate: String)
        case answered(requestID: String, candidate: String, result: CommandResult)
    }

    public var candidates: [String]
    public var selected: Int
    public var phase: Phase = .choosing
    /// Where the engine offers two ways to send the promotion of this
    /// candidate: the second one is chosen (`t` toggles).
    public var alternateMode = false

    public init(candidates: [String], selected: Int, phase: Phase = .choosing) {
        self.candidates = candidates
        self.selected = selected
        self.phase = phase
    }

    public var candidate: String? { candidates[safe: selected] }

    var isOpen: Bool {
        switch phase {
        case .choosing, .overriding: true
        case .sent, .answered: false
        }
    }
}

extension AppModel {
    /// The rules of the engine this stream is of (protocol v1's when it names none).
    var engineRules: any EngineRules { EngineRegistry.rules(forStream: state.engine?.name) }

    /// The validator's verdict on promoting `candidate`, with the configured
    /// lag limit: the one call every screen and key uses.
    public func promotionVerdict(_ candidate: String) -> PromotionVerdict {
        let limits = PreviewLimits(
            now: now, lagLimitMillis: thresholds.promotionLagLimitMillis, lagLimitBytes: thresholds.promotionLagLimitBytes,
            lagLimitTransactions: thresholds.promotionLagLimitTransactions)
        return engineRules.preview(candidate: candidate, in: state, limits: limits)
    }

    /// The ways the engine can send the promotion of `candidate` (none or two).
    func promotionModes(_ candidate: String) -> [PromotionMode] {
        engineRules.promotionModes(candidate: candidate, in: state)
    }
}

// MARK: Keys

/// Keys typed into the override take precedence over the keymap (nil: not taken).
func promoteTyping(_ m: inout AppModel, _ d: PromoteDialog, _ key: Key) -> [Effect]? {
    guard d.isOpen, let cand = d.candidate, !m.promotionVerdict(cand).allowed else { return nil }
    var field: TextField
    switch d.phase {
    case .overriding(let f): field = f
    default:
        // With nothing typed yet, y j k keep their meaning (y explains why it
        // does not send); any other character starts the name.
        guard case .char(let c) = key, !["y", "j", "k"].contains(c) else {
            if m.keymap.action(for: key, in: .textEntry) == .commitText {
                m.say("type \(cand) exactly to send despite the failing checks")
                return []
            }
            return nil
        }
        field = TextField(editing: true)
    }
    var next = d
    switch field.handle(key, keymap: m.keymap) {
    case .cleared:
        // Esc in the override closes the dialog, as it does everywhere in a dialog.
        m.overlay = nil
        return []
    case .committed:
        guard field.text == cand else {
            m.say("type \(cand) exactly to send despite the failing checks")
            return []
        }
        return sendPromotion(&m, d, cand, typed: field.text)
    case .edited:
        next.phase = field.text.isEmpty ? .choosing : .overriding(TextField(text: field.text, editing: true))
        m.overlay = .promote(next)
        return []
    case .ignored:
        return nil
    }
}

func performPromote(_ m: inout AppModel, _ d: PromoteDialog, _ action: Action) -> [Effect] {
    var d = d
    switch action {
    case .dismiss:
        m.overlay = nil
    case .down where d.isOpen:
        d.selected = min(max(0, d.candidates.count - 1), d.selected + 1)
        d.phase = .choosing
        m.overlay = .promote(d)
    case .up where d.isOpen:
        d.selected = max(0, d.selected - 1)
        d.phase = .choosing
        m.overlay = .promote(d)
    case .toggleTakeover where d.isOpen:
        guard let cand = d.candidate, m.promotionModes(cand).count > 1 else {
            m.say("the engine offers one way to promote this node (t chooses where it offers two)")
            return []
        }
        d.alternateMode.toggle()
        m.overlay = .promote(d)
    case .confirm where d.isOpen:
        guard let cand = d.candidate else { return [] }
        guard m.promotionVerdict(cand).allowed else {
            m.say("checks fail: type \(cand) and Enter to send anyway")
            return []
        }
        return sendPromotion(&m, d, cand, typed: nil)
    default:
        break
    }
    return []
}

func sendPromotion(_ m: inout AppModel, _ d: PromoteDialog, _ candidate: String, typed: String?) -> [Effect] {
    let id = m.nextRequestID()
    let verdict = m.promotionVerdict(candidate)
    let dialog = verdict.checks.map { "\($0.ok ? "ok" : "FAIL") \($0.invariant.wire): \($0.detail ?? "")" }
    var action = OperatorAction(
        at: m.now, key: "p", target: candidate, dialog: dialog,
        confirmation: typed.map { "typed \($0) despite failing checks" } ?? "y", requestID: id, op: "promote")
    var d = d
    d.phase = .sent(requestID: id, candidate: candidate)
    m.overlay = .promote(d)
    let modes = m.promotionModes(candidate)
    let mode: String? = modes.count > 1 ? modes[d.alternateMode ? 1 : 0].wire : nil
    m.say("promote \(candidate)\(mode.map { " (\($0))" } ?? "") sent as \(id)")
    if let mode { action.dialog.append("mode \(mode)") }
    record(&m, action)
    return [.send(.promote(requestID: id, node: candidate, mode: mode)), .audit(.action(action))]
}

// MARK: View

func renderPromote(_ m: AppModel, _ d: PromoteDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    var rows: [Line] = []
    let typed: String
    switch d.phase {
    case .sent(let id, let cand), .answered(let id, let cand, _):
        // Sent: the result and the correlated events, live.
        let command: CommandPhase
        if case .answered(_, _, let result) = d.phase { command = .answered(requestID: id, result: result) } else { command = .sent(requestID: id) }
        rows.append(Line([Span("promote \(cand) ", Style(.normal, .bold)), Span("request \(id)", Style(.dim))]))
        rows.append(resultLine(command))
        if let p = m.state.promotions[id] {
            rows.append(
                Line(
                    p.explanation,
                    Style(p.phase == .completed ? AppSlot.ok : (p.phase == .denied || p.phase == .rejected ? AppSlot.alert : .normal), .bold)))
        }
        rows.append(Line(""))
        rows += correlatedLines(m, id, limit: 10)
        rows.append(Line(""))
        rows.append(Line("Esc closes", Style(.dim)))
        Paragraph(rows).render(openDialog("Promote a replica", dialogRect(area, width: 76, height: 20), &b, sym), &b)
        return
    case .choosing:
        typed = ""
    case .overriding(let field):
        typed = field.text
    }
    rows.append(Line("Candidates (j/k choose):", Style(.title, .bold)))
    for (i, note) in m.engineRules.promotionNote(in: m.state).enumerated() {
        rows.append(Line(note, Style(AppSlot.lagWarn, i == 0 ? .bold : [])))
    }
    let nameWidth = min(24, max(12, (d.candidates.map(\.count).max() ?? 0) + 1))
    for (i, c) in d.candidates.enumerated() {
        let verdict = m.promotionVerdict(c)
        let mark = verdict.allowed ? (sym == .ascii ? "ok" : "✓") : (sym == .ascii ? "NO" : "✗")
        var line = Line([chooser(i == d.selected, sym), Span(c.fitted(to: nameWidth), Style(.normal, i == d.selected ? .bold : []))])
        line.append(Span(mark, Style(verdict.allowed ? AppSlot.ok : AppSlot.alert, .bold)))
        rows.append(line)
    }
    guard let cand = d.candidate else {
        Paragraph(rows).render(openDialog("Promote a replica", dialogRect(area, width: 76, height: 20), &b, sym), &b)
        return
    }
    let verdict = m.promotionVerdict(cand)
    rows.append(Line(""))
    rows.append(Line("Why (or why not) \(cand), by the dashboard's own data:", Style(.title, .bold)))
    for c in verdict.checks { rows.append(checkLine(c, sym)) }
    rows.append(Line(""))
    let modes = m.promotionModes(cand)
    if modes.count > 1 {
        // The ways the engine offers, spelled out; `t` chooses.
        for (i, mode) in modes.prefix(2).enumerated() {
            let chosen = (i == 1) == d.alternateMode
            rows.append(
                Line([
                    Span(chosen ? "▸ " : "  ", Style(.accent)),
                    Span(mode.label, Style(mode.dangerous ? AppSlot.alert : .normal, chosen ? .bold : [])),
                    Span(": \(mode.detail)\(i == 1 ? " (t)" : "")"),
                ]))
        }
    }
    // What to press is never cut off: the checks above give way first
    // (an engine with many checks, a short terminal).
    var footer: [Line] = []
    if verdict.allowed {
        footer.append(
            Line([Span("y", Style(AppSlot.key, .bold)), Span(" sends the promotion  "), Span("Esc", Style(AppSlot.key, .bold)), Span(" cancels")]))
    } else {
        footer.append(Line("Checks fail. The server decides; to send anyway type \(cand) and Enter:", Style(AppSlot.alert, .bold)))
        footer.append(Line([Span("> ", Style(.accent)), Span("\(typed)_", Style(.normal, .bold))]))
    }
    let inner = openDialog("Promote a replica", dialogRect(area, width: 76, height: max(20, rows.count + footer.count + 2)), &b, sym)
    let kept = max(0, min(rows.count, inner.height - footer.count))
    Paragraph(rows).render(Rect(x: inner.x, y: inner.y, width: inner.width, height: kept), &b)
    Paragraph(footer).render(Rect(x: inner.x, y: inner.y + kept, width: inner.width, height: inner.height - kept), &b)
}
