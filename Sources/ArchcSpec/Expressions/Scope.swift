/// Names visible to expressions at one place in a spec, and the evaluator that reads them.
public struct Scope: Sendable {
    public var values: [String: Value]
    /// What the scope belongs to, for messages ("block 'robust-dw'").
    public var owner: String

    public init(_ values: [String: Value] = [:], owner: String) {
        self.values = values
        self.owner = owner
    }

    public enum EvalError: Error {
        case at(column: Int, String)
    }

    /// Evaluates with overflow and division checks; every failure names its column.
    public func evaluate(_ expr: Expr) -> Result<Int, EvalError> {
        do { return .success(try eval(expr)) } catch let error as EvalError { return .failure(error) } catch {
            return .failure(.at(column: 0, "cannot evaluate '\(expr)'"))
        }
    }

    private func eval(_ expr: Expr) throws -> Int {
        switch expr {
        case .literal(let value):
            return value
        case .name(let name, let column):
            return try lookup(name, column: column)
        case .unary(let operand):
            let (value, overflow) = (0).subtractingReportingOverflow(try eval(operand))
            if overflow { throw EvalError.at(column: 0, "integer overflow in '\(expr)'") }
            return value
        case .binary(let op, let lhs, let rhs, let column):
            return try apply(op, try eval(lhs), try eval(rhs), column: column, expr: expr)
        case .call(let name, let args, let column):
            let values = try args.map(eval)
            guard Expr.functions.contains(name) else {
                throw EvalError.at(column: column, "unknown function '\(name)'" + Suggestion.hint(for: name, among: Expr.functions))
            }
            guard !values.isEmpty else { throw EvalError.at(column: column, "'\(name)' needs at least one argument") }
            return name == "min" ? values.min()! : values.max()!
        }
    }

    private func lookup(_ name: String, column: Int) throws -> Int {
        guard let value = values[name] else {
            let hint = Suggestion.hint(for: name, among: Array(values.keys))
            throw EvalError.at(column: column, "unknown name '\(name)' in \(owner)\(hint)")
        }
        switch value {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: throw EvalError.at(column: column, "'\(name)' is a \(value.kind.rawValue), expected an int in an expression")
        }
    }

    private func apply(_ op: Expr.Operator, _ a: Int, _ b: Int, column: Int, expr: Expr) throws -> Int {
        let result: (partialValue: Int, overflow: Bool)
        switch op {
        case .add: result = a.addingReportingOverflow(b)
        case .subtract: result = a.subtractingReportingOverflow(b)
        case .multiply: result = a.multipliedReportingOverflow(by: b)
        case .floorDivide, .modulo:
            guard b != 0 else { throw EvalError.at(column: column, "division by zero in '\(expr)'") }
            guard !(a == Int.min && b == -1) else { throw EvalError.at(column: column, "integer overflow in '\(expr)'") }
            // Python's floor division and modulo: the remainder takes the divisor's sign.
            // Adjusting the remainder (not recomputing a - q * b) keeps every step in range:
            // 1 % (-2^63) once computed (-1) * (-2^63) and trapped.
            let q = a / b, r = a % b
            let adjust = r != 0 && ((r < 0) != (b < 0))
            result = op == .floorDivide ? (adjust ? q - 1 : q, false) : (adjust ? r + b : r, false)
        }
        if result.overflow { throw EvalError.at(column: column, "integer overflow in '\(expr)'") }
        return result.partialValue
    }
}
