import ClusterProtocol
import ClusterState

/// The checks of an engine's promotion preview as they are recorded: the
/// first failing one gives the rejection.
public struct VerdictBuilder: Sendable {
    private var checks: [ValidationCheck] = []
    private var rejection: RejectionReason?

    public init() {}

    public mutating func record(_ inv: Invariant, _ ok: Bool, _ detail: String, _ reason: RejectionReason) {
        checks.append(ValidationCheck(invariant: inv, ok: ok, detail: detail))
        if !ok, rejection == nil { rejection = reason }
    }

    public var verdict: PromotionVerdict { PromotionVerdict(checks: checks, rejection: rejection) }
}
