/// A parameter value in a scope: what a block or a spec's `params` can hold.
public enum Value: Sendable, Equatable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)

    public enum Kind: String, Sendable, CaseIterable {
        case int, float, bool, str
    }

    public var kind: Kind {
        switch self {
        case .int: return .int
        case .float: return .float
        case .bool: return .bool
        case .string: return .str
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        }
    }
}
