import ClusterProtocol
import Foundation

/// Reads test fixtures that live in a folder beside the test sources.
public enum Fixtures {
    /// All `*.json` files in `folder`, sorted by name, as (name without extension, bytes).
    public static func jsonFiles(in folder: URL) throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        return try names.map { name in
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            return (String(name.dropLast(5)), [UInt8](data))
        }
    }

    /// Compares two JSON values treating objects as unordered maps (later keys win).
    public static func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            let kx = Set(x.fields.map(\.key))
            let ky = Set(y.fields.map(\.key))
            guard kx == ky else { return false }
            for k in kx {
                guard let vx = x[k], let vy = y[k], sameJSON(vx, vy) else { return false }
            }
            return true
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
            return Double(x) == y
        default:
            return a == b
        }
    }
}
