import ClusterProtocol
import ClusterState
import EngineKit
import RenderCore

/// Confirming that a partition's leader steps down (`p` in the partition
/// table, where the engine takes `step_down`: a NATS stream), with the
/// engine's checks; then the command's result.
public struct StepDownDialog: Sendable, Hashable {
    public var partition: Int64
    public var name: String
    /// The leader when the dialog opened (what the operator saw).
    public var leader: String?
    /// Nil while confirming.
    public var command: CommandPhase?

    public init(partition: Int64, name: String, leader: String?, command: CommandPhase? = nil) {
        self.partition = partition
        self.name = name
        self.leader = leader
        self.command = command
    }
}

/// The partition the dialog is about, as the state holds it now.
func stepDownPartition(_ m: AppModel, _ d: StepDownDialog) -> PartitionAssignment {
    m.state.assignment?.partitions.first { $0.id == d.partition } ?? PartitionAssignment(id: d.partition, worker: nil, name: d.name)
}

func performStepDown(_ m: inout AppModel, _ d: StepDownDialog, _ action: Action) -> [Effect] {
    var d = d
    switch action {
    case .dismiss:
        m.overlay = nil
    case .confirm where d.command == nil:
        let checks = m.engineRules.stepDownPreview(of: stepDownPartition(m, d), in: m.state)
        if let failed = checks.first(where: { !$0.ok }) {
            m.say("not sent: \(failed.detail)")
            return []
        }
        let id = m.nextRequestID()
        d.command = .sent(requestID: id)
        m.overlay = .stepDown(d)
        m.say("step down \(d.name)'s leader sent as \(id)")
        let action = OperatorAction(
            at: m.now, key: "p", target: d.name,
            dialog: ["step down \(d.name)'s leader \(d.leader ?? "none")"] + checks.map { "\($0.ok ? "ok" : "FAIL") \($0.detail)" },
            confirmation: "y", requestID: id, op: "step_down")
        record(&m, action)
        return [.send(.stepDown(requestID: id, partition: d.partition)), .audit(.action(action))]
    default:
        break
    }
    return []
}

func renderStepDown(_ m: AppModel, _ d: StepDownDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 70, height: 14)
    let inner = openDialog("Step down a leader", r, &b, sym)
    let partition = stepDownPartition(m, d)
    // Once sent, the leader it was sent for (the next one is in the log).
    let leader = d.command == nil ? partition.worker ?? d.leader : d.leader
    var rows: [Line] = [Line("\(d.name): its leader \(leader ?? "(none)") steps down", Style(.normal, .bold))]
    let checks = m.engineRules.stepDownPreview(of: partition, in: m.state)
    if let command = d.command {
        rows.append(resultLine(command))
        rows += correlatedLines(m, command.requestID, limit: 6)
        rows.append(Line("Esc closes", Style(.dim)))
    } else {
        for c in checks {
            let mark = c.ok ? (sym == .ascii ? "ok " : "✓ ") : (sym == .ascii ? "NO " : "✗ ")
            rows.append(
                Line([
                    Span(mark, Style(c.ok ? AppSlot.ok : AppSlot.alert, .bold)),
                    Span(c.detail, Style(c.ok ? .normal : AppSlot.alert, c.ok ? [] : .bold)),
                ]))
        }
        for line in m.engineRules.stepDownNote { rows.append(Line(line, Style(.dim))) }
        rows.append(Line(""))
        if checks.allSatisfy(\.ok) {
            rows.append(
                Line([
                    Span("y", Style(AppSlot.key, .bold)), Span(" steps it down  "), Span("Esc", Style(AppSlot.key, .bold)),
                    Span(" keeps it"),
                ]))
        } else {
            rows.append(Line([Span("not possible now  "), Span("Esc", Style(AppSlot.key, .bold)), Span(" closes")]))
        }
    }
    Paragraph(rows, wrap: true).render(inner, &b)
}
