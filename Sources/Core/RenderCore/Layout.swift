/// How much room one part of a split asks for.
public enum Constraint: Sendable, Hashable {
    /// Exactly n cells (shrunk only when nothing else fits).
    case fixed(Int)
    /// At least n cells; grows like `fill(1)`.
    case min(Int)
    /// A share of the whole length.
    case percentage(Int)
    /// What is left, shared by weight.
    case fill(Int)
}

public enum Direction: Sendable, Hashable {
    case horizontal, vertical
}

/// Splits rectangles by constraints.
public enum Layout {
    /// Splits `rect` along `direction`. Sizes always add up to at most the
    /// rect's length; when the constraints ask for more, the last parts shrink
    /// first (down to zero), so the first parts keep their size.
    public static func split(
        _ rect: Rect, _ direction: Direction, _ constraints: [Constraint], spacing: Int = 0
    ) -> [Rect] {
        let lengths = sizes(
            length: direction == .horizontal ? rect.width : rect.height, constraints, spacing: spacing)
        var out: [Rect] = []
        out.reserveCapacity(lengths.count)
        var pos = direction == .horizontal ? rect.x : rect.y
        for len in lengths {
            switch direction {
            case .horizontal: out.append(Rect(x: pos, y: rect.y, width: len, height: rect.height))
            case .vertical: out.append(Rect(x: rect.x, y: pos, width: rect.width, height: len))
            }
            pos += len + spacing
        }
        return out
    }

    /// The lengths of each part for a total `length`.
    public static func sizes(length: Int, _ constraints: [Constraint], spacing: Int = 0) -> [Int] {
        guard !constraints.isEmpty else { return [] }
        let total = Swift.max(0, length - spacing * (constraints.count - 1))
        var sizes = constraints.map { c -> Int in
            switch c {
            case .fixed(let n), .min(let n): return Swift.max(0, n)
            case .percentage(let p): return total * Swift.min(100, Swift.max(0, p)) / 100
            case .fill: return 0
            }
        }
        var used = sizes.reduce(0, +)
        if used > total {
            var i = sizes.count - 1
            while used > total, i >= 0 {
                let cut = Swift.min(sizes[i], used - total)
                sizes[i] -= cut
                used -= cut
                i -= 1
            }
            return sizes
        }
        let weights = constraints.map { c -> Int in
            switch c {
            case .fill(let w): return Swift.max(0, w)
            case .min: return 1
            default: return 0
            }
        }
        let totalWeight = weights.reduce(0, +)
        guard totalWeight > 0 else { return sizes }
        let spare = total - used
        var given = 0
        var lastFlexible = 0
        for (i, w) in weights.enumerated() where w > 0 {
            let share = spare * w / totalWeight
            sizes[i] += share
            given += share
            lastFlexible = i
        }
        sizes[lastFlexible] += spare - given
        return sizes
    }
}
