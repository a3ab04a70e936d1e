import ClusterProtocol
import ClusterState
import RenderCore

/// Where a sent command stands, in every dialog that sends one.
public enum CommandPhase: Sendable, Hashable {
    case sent(requestID: String)
    case answered(requestID: String, result: CommandResult)

    public var requestID: String {
        switch self {
        case .sent(let id), .answered(let id, _): id
        }
    }

    /// The phase once `results` holds the answer; a later answer to the
    /// same request (`accepted`, then `completed` from an engine whose
    /// command runs for a while) replaces the earlier one.
    func answered(by result: (String) -> CommandResult?) -> CommandPhase {
        guard let r = result(requestID) else { return self }
        if case .answered(_, let held) = self, held == r { return self }
        return .answered(requestID: requestID, result: r)
    }
}

extension Overlay {
    /// A dialog waiting for its command's result moves to `answered` when the
    /// result arrives (called after every batch).
    func answering(_ result: (String) -> CommandResult?) -> Overlay {
        switch self {
        case .promote(var d):
            if case .sent(let id, let cand) = d.phase, let r = result(id) {
                d.phase = .answered(requestID: id, candidate: cand, result: r)
            } else if case .answered(let id, let cand, let held) = d.phase, let r = result(id), r != held {
                d.phase = .answered(requestID: id, candidate: cand, result: r)
            }
            return .promote(d)
        case .migrate(var d):
            if case .sent(let p) = d.phase {
                let next = p.answered(by: result)
                if next != p { d.phase = .sent(next) }
            }
            return .migrate(d)
        case .cancel(var d):
            if let p = d.command { d.command = p.answered(by: result) }
            return .cancel(d)
        case .stepDown(var d):
            if let p = d.command { d.command = p.answered(by: result) }
            return .stepDown(d)
        default:
            return self
        }
    }
}

func dialogRect(_ area: Rect, width: Int, height: Int) -> Rect {
    area.centered(width: min(width, area.width - 2), height: min(height, area.height))
}

func openDialog(_ title: String, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) -> Rect {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.dialog)))
    let block = Block(title: Line(title), borderStyle: Style(.borderFocused, .bold), titleStyle: Style(.titleFocused, .bold), symbols: sym)
    block.render(r, &b)
    return block.inner(r).inset(horizontal: 1, vertical: 0)
}

/// `result: accepted` / `result: rejected (lag_too_high)` / `result: pending...`.
func resultLine(_ phase: CommandPhase) -> Line {
    guard case .answered(_, let result) = phase else { return Line("result: pending...", Style(AppSlot.lagWarn, .bold)) }
    let ok = result.status == .accepted || result.status == .completed
    return Line(
        [
            Span("result: ", Style(.normal)),
            Span("\(result.status.wire)\(result.reason.map { " (\($0))" } ?? "")", Style(ok ? AppSlot.ok : AppSlot.alert, .bold)),
        ])
}

/// The log lines a command caused (its correlation id), newest last.
func correlatedLines(_ m: AppModel, _ requestID: String, limit: Int) -> [Line] {
    m.state.log.filter { $0.correlationID == requestID }.suffix(limit).map { e in
        Line([Span("\(e.at.clockTime) ", Style(.dim)), Span(e.text, Style(logSlot(e.severity)))])
    }
}

func checkLine(_ c: ValidationCheck, _ sym: Symbols) -> Line {
    let mark = c.ok ? (sym == .ascii ? "ok " : "✓ ") : (sym == .ascii ? "NO " : "✗ ")
    let name = c.invariant.wire.replacingUnderscores
    return Line([
        Span(mark, Style(c.ok ? AppSlot.ok : AppSlot.alert, .bold)), Span(name.fitted(to: 21) + " "),
        Span(c.detail ?? "", Style(c.ok ? .normal : AppSlot.alert, c.ok ? [] : .bold)),
    ])
}

/// `▸ ` before the chosen row of a list, two spaces before the others.
func chooser(_ chosen: Bool, _ sym: Symbols) -> Span {
    Span(chosen ? (sym == .ascii ? "> " : "▸ ") : "  ", Style(.accent, .bold))
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
