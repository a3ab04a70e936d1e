/// Conversions of wire numbers that never trap: a `Double` made of an
/// `Int64` near its ends rounds past them (`Double(Int64.max)` is 2^63), and
/// `Int64(_:)` of that traps. These clamp to the ends instead; NaN is 0.
extension Int64 {
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }

    /// `self - other`, clamped to the ends instead of trapping.
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (d, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : d
    }

    /// `self + other`, clamped to the ends instead of trapping.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (d, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : d
    }
}

extension Int {
    public init(saturating value: Double) {
        self = Int(Int64(saturating: value))
    }
}
