/// A small, fast, seedable generator (SplitMix64): same seed, same numbers.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// Uniform in `range`.
    public mutating func int(in range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        guard span > 0 else { return range.lowerBound }
        return range.lowerBound + Int64(next() % span)
    }

    /// Roughly normal, mean 0, standard deviation 1 (sum of uniforms).
    public mutating func gaussian() -> Double {
        var s = 0.0
        for _ in 0..<6 { s += unit() }
        return (s - 3) * 1.414
    }
}
