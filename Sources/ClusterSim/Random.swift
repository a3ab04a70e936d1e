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

/// FNV-1a, 64 bit: a stable hash for consistent hashing (Swift's Hasher is
/// seeded per process, so it cannot place partitions reproducibly).
public func fnv1a(_ text: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in text.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    // Finalise (murmur-style) so that similar keys spread over the ring.
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    return h
}
