import ClusterProtocol
import ClusterState
import RenderCore

/// Confirming the cancellation of a migration; then the command's result.
public struct CancelDialog: Sendable, Hashable {
    public var migrationID: String
    public var tenant: String
    /// Nil while confirming.
    public var command: CommandPhase?

    public init(migrationID: String, tenant: String, command: CommandPhase? = nil) {
        self.migrationID = migrationID
        self.tenant = tenant
        self.command = command
    }
}

func performCancel(_ m: inout AppModel, _ d: CancelDialog, _ action: Action) -> [Effect] {
    var d = d
    switch action {
    case .dismiss:
        m.overlay = nil
    case .confirm where d.command == nil:
        let id = m.nextRequestID()
        d.command = .sent(requestID: id)
        m.overlay = .cancel(d)
        let action = OperatorAction(
            at: m.now, key: "c", target: d.migrationID, dialog: ["cancel \(d.migrationID) (\(d.tenant))"], confirmation: "y",
            requestID: id, op: "cancel_migration")
        record(&m, action)
        return [.send(.cancelMigration(requestID: id, migrationID: d.migrationID)), .audit(.action(action))]
    default:
        break
    }
    return []
}

func renderCancel(_ m: AppModel, _ d: CancelDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 56, height: 8)
    let inner = openDialog("Cancel migration", r, &b, sym)
    let after =
        m.state.assignment?.strategy == .other("hash_slots")
        ? "The keys moved so far go back; the slot stays where it was." : "Writes resume at the source."
    var rows: [Line] = [Line("Cancel \(d.migrationID) (\(d.tenant))? \(after)", Style(.normal, .bold))]
    if let command = d.command {
        rows.append(resultLine(command))
        rows.append(Line("Esc closes", Style(.dim)))
    } else {
        rows.append(
            Line([
                Span("y", Style(AppSlot.key, .bold)), Span(" cancels the migration  "), Span("Esc", Style(AppSlot.key, .bold)),
                Span(" keeps it running"),
            ]))
    }
    Paragraph(rows, wrap: true).render(inner, &b)
}
