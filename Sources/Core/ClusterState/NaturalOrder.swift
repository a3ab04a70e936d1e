/// Orders names the way people read them: `node-2` before `node-10`.
public func naturalLess(_ a: String, _ b: String) -> Bool {
    var i = a.utf8.makeIterator()
    var j = b.utf8.makeIterator()
    var ca = i.next()
    var cb = j.next()
    while let x = ca, let y = cb {
        let xd = x >= 0x30 && x <= 0x39
        let yd = y >= 0x30 && y <= 0x39
        if xd && yd {
            // Compare whole digit runs by value (length first, then digits).
            var ra: [UInt8] = []
            var rb: [UInt8] = []
            var p: UInt8? = x
            while let c = p, c >= 0x30, c <= 0x39 {
                if !(ra.isEmpty && c == 0x30) { ra.append(c) }
                p = i.next()
            }
            ca = p
            var q: UInt8? = y
            while let c = q, c >= 0x30, c <= 0x39 {
                if !(rb.isEmpty && c == 0x30) { rb.append(c) }
                q = j.next()
            }
            cb = q
            if ra.count != rb.count { return ra.count < rb.count }
            if ra != rb { return ra.lexicographicallyPrecedes(rb) }
            continue
        }
        if x != y { return x < y }
        ca = i.next()
        cb = j.next()
    }
    if ca == nil && cb == nil { return a.utf8.count < b.utf8.count }
    return ca == nil
}
