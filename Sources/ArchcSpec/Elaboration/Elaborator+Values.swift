/// Reading typed values out of spec nodes in a scope: integers and expressions, pairs,
/// booleans, floats and strings, each failure reported at the exact column.
extension Elaborator {
    func int(_ node: SpecNode, _ scope: Scope, _ what: String) -> Int? {
        guard case .scalar(let text, let quoted) = node.value, !node.isNull else {
            error(node.location, "expected an integer or expression for \(what), found \(node.kindDescription)")
            return nil
        }
        if let value = ScalarParsing.int(text) { return value }
        let base = quoted ? 1 : 0
        switch ExprParser.parse(text) {
        case .failure(let failure):
            error(offset(node.location, base + failure.column), failure.message)
            return nil
        case .success(let expr):
            switch scope.evaluate(expr) {
            case .success(let value): return value
            case .failure(.at(let column, let message)):
                error(offset(node.location, base + column), message)
                return nil
            }
        }
    }

    /// `3` or `[3, 5]` -> (h, w).
    func intPair(_ node: SpecNode, _ scope: Scope, _ what: String) -> (Int, Int)? {
        if let items = node.items {
            guard items.count == 2 else {
                error(node.location, "expected one integer or a list of two for \(what), found a list of \(items.count)")
                return nil
            }
            guard let h = int(items[0], scope, what), let w = int(items[1], scope, what) else { return nil }
            return (h, w)
        }
        return int(node, scope, what).map { ($0, $0) }
    }

    func bool(_ node: SpecNode, _ scope: Scope, _ what: String) -> Bool? {
        if let text = node.scalar {
            if let value = ScalarParsing.bool(text) { return value }
            if case .bool(let value)? = scope.values[text] { return value }
        }
        error(node.location, "expected true or false for \(what), found \(node.kindDescription)")
        return nil
    }

    func float(_ node: SpecNode, _ scope: Scope, _ what: String) -> Double? {
        if let text = node.scalar {
            if let value = ScalarParsing.float(text) { return value }
            if case .float(let value)? = scope.values[text] { return value }
            if case .int(let value)? = scope.values[text] { return Double(value) }
        }
        error(node.location, "expected a number for \(what), found \(node.kindDescription)")
        return nil
    }

    /// A word, or the value of a `str` parameter of that name.
    func word(_ node: SpecNode, _ scope: Scope, _ what: String) -> String? {
        guard let text = node.scalar, !node.isNull else {
            error(node.location, "expected a word for \(what), found \(node.kindDescription)")
            return nil
        }
        if case .string(let value)? = scope.values[text] { return value }
        return text
    }

    /// A value of a declared parameter type.
    func value(_ node: SpecNode, kind: Value.Kind, _ scope: Scope, _ what: String) -> Value? {
        switch kind {
        case .int: return int(node, scope, what).map(Value.int)
        case .float: return float(node, scope, what).map(Value.float)
        case .bool: return bool(node, scope, what).map(Value.bool)
        case .str: return word(node, scope, what).map(Value.string)
        }
    }

    func offset(_ location: SourceLocation, _ columns: Int) -> SourceLocation {
        var moved = location
        moved.column += columns
        return moved
    }
}
