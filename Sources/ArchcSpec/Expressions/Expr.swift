/// An integer expression from a spec (`dim * ratio`, `kernel // 2`), kept unevaluated
/// until a block is instantiated with concrete parameters.
public indirect enum Expr: Sendable, CustomStringConvertible {
    case literal(Int)
    case name(String, column: Int)
    case unary(negate: Expr)
    case binary(Operator, Expr, Expr, column: Int)
    case call(String, [Expr], column: Int)

    public enum Operator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", floorDivide = "//", modulo = "%"
    }

    /// Functions an expression may call.
    public static let functions = ["min", "max"]

    public var description: String {
        switch self {
        case .literal(let value): return String(value)
        case .name(let name, _): return name
        case .unary(let operand): return "-\(operand)"
        case .binary(let op, let lhs, let rhs, _): return "(\(lhs) \(op.rawValue) \(rhs))"
        case .call(let name, let args, _): return "\(name)(\(args.map(\.description).joined(separator: ", ")))"
        }
    }

    /// Every name the expression reads.
    public var names: [String] {
        switch self {
        case .literal: return []
        case .name(let name, _): return [name]
        case .unary(let operand): return operand.names
        case .binary(_, let lhs, let rhs, _): return lhs.names + rhs.names
        case .call(_, let args, _): return args.flatMap(\.names)
        }
    }
}
