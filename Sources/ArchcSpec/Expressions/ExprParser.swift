/// Parses the integer expression language: `+ - * // %`, parentheses, names, `min`/`max`.
///
/// Columns are offsets into the scalar's text (0-based), so errors point inside it.
public struct ExprParser {
    public struct Failure: Error, Equatable {
        public var column: Int
        public var message: String
    }

    private let chars: [Character]
    private var index = 0

    public static func parse(_ text: String) -> Result<Expr, Failure> {
        // The tree is as deep as the expression has operators, and evaluating it recurses:
        // 80,000 `+` terms overflowed the stack. No architecture needs a long expression.
        guard text.count <= SpecLimits.expressionLength else {
            return .failure(Failure(column: 0, message: "expression is \(text.count) characters long, more than the limit of \(SpecLimits.expressionLength)"))
        }
        var parser = ExprParser(chars: Array(text))
        do {
            let expr = try parser.expression()
            parser.skipSpaces()
            if parser.index < parser.chars.count {
                throw Failure(column: parser.index, message: "unexpected '\(parser.chars[parser.index])' in expression '\(text)'")
            }
            return .success(expr)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(column: 0, message: "invalid expression '\(text)'"))
        }
    }

    private init(chars: [Character]) { self.chars = chars }

    private mutating func expression(depth: Int = 0) throws -> Expr {
        guard depth < SpecLimits.expressionDepth else { throw tooDeep() }
        var lhs = try term(depth: depth)
        while let op = peekOperator(["+", "-"]) {
            let column = index
            index += op.rawValue.count
            lhs = .binary(op, lhs, try term(depth: depth), column: column)
        }
        return lhs
    }

    private mutating func term(depth: Int) throws -> Expr {
        var lhs = try unary(depth: depth)
        while let op = peekOperator(["*", "//", "%", "/"]) {
            let column = index
            if op == .floorDivide, !lookingAt("//") {
                throw Failure(column: column, message: "'/' is not integer division; use '//'")
            }
            index += op.rawValue.count
            lhs = .binary(op, lhs, try unary(depth: depth), column: column)
        }
        return lhs
    }

    private mutating func unary(depth: Int) throws -> Expr {
        guard depth < SpecLimits.expressionDepth else { throw tooDeep() }
        skipSpaces()
        if lookingAt("-") {
            index += 1
            return .unary(negate: try unary(depth: depth + 1))
        }
        return try primary(depth: depth)
    }

    private mutating func primary(depth: Int) throws -> Expr {
        skipSpaces()
        guard index < chars.count else { throw Failure(column: index, message: "expression ends early, expected a number or a name") }
        let c = chars[index]
        if c == "(" {
            index += 1
            let inner = try expression(depth: depth + 1)
            try expect(")")
            return inner
        }
        if c.isASCII, c.isNumber { return try number() }
        if c.isLetter || c == "_" { return try nameOrCall(depth: depth) }
        throw Failure(column: index, message: "unexpected '\(c)', expected a number or a name")
    }

    private mutating func number() throws -> Expr {
        let start = index
        while index < chars.count, chars[index].isASCII, chars[index].isNumber || chars[index] == "_" { index += 1 }
        let digits = String(chars[start..<index]).replacingOccurrences(of: "_", with: "")
        guard let value = Int(digits) else { throw Failure(column: start, message: "integer '\(digits)' is too large") }
        return .literal(value)
    }

    private mutating func nameOrCall(depth: Int) throws -> Expr {
        let start = index
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" { index += 1 }
        let name = String(chars[start..<index])
        skipSpaces()
        guard lookingAt("(") else { return .name(name, column: start) }
        index += 1
        var args: [Expr] = []
        skipSpaces()
        if !lookingAt(")") {
            args.append(try expression(depth: depth + 1))
            while lookingAt(",")
                || {
                    skipSpaces(); return lookingAt(",")
                }()
            {
                index += 1
                args.append(try expression(depth: depth + 1))
            }
        }
        try expect(")")
        return .call(name, args, column: start)
    }

    private func tooDeep() -> Failure {
        Failure(column: index, message: "expression nested more than \(SpecLimits.expressionDepth) levels deep")
    }

    private mutating func peekOperator(_ ops: [String]) -> Expr.Operator? {
        skipSpaces()
        for op in ["//", "+", "-", "*", "%", "/"] where ops.contains(op) && lookingAt(op) {
            return op == "/" ? .floorDivide : Expr.Operator(rawValue: op)
        }
        return nil
    }

    private mutating func expect(_ token: String) throws {
        skipSpaces()
        guard lookingAt(token) else {
            let found = index < chars.count ? "'\(chars[index])'" : "the end"
            throw Failure(column: index, message: "expected '\(token)' in expression, found \(found)")
        }
        index += token.count
    }

    private func lookingAt(_ token: String) -> Bool {
        let t = Array(token)
        guard index + t.count <= chars.count else { return false }
        return Array(chars[index..<index + t.count]) == t
    }

    private mutating func skipSpaces() {
        while index < chars.count, chars[index] == " " || chars[index] == "\t" { index += 1 }
    }
}
