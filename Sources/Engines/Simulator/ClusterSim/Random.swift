import ClusterState

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
