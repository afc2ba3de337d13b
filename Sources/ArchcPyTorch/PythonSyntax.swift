import ArchcSpec

/// Python spellings: identifiers, class names, literals, and the spec's integer expressions.
enum PythonSyntax {
    static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    /// Names an `nn.Module` (or the `Chain` container, an `nn.ModuleDict`) already has: a
    /// child module of that name would be shadowed or refused by PyTorch.
    static let moduleAttributes: Set<String> = [
        "training", "forward", "eval", "train", "to", "cpu", "cuda", "half", "float", "double", "bfloat16", "type",
        "apply", "parameters", "named_parameters", "buffers", "named_buffers", "children", "named_children", "modules",
        "named_modules", "state_dict", "load_state_dict", "zero_grad", "requires_grad_", "register_buffer",
        "register_parameter", "register_module", "add_module", "get_submodule", "get_parameter", "get_buffer",
        "extra_repr", "share_memory", "dump_patches", "call_super_init", "keys", "values", "items", "update", "pop",
        "clear",
    ]

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } && !keywords.contains(text)
    }

    /// `robust-dw` -> `RobustDw`, `resnet50-patchify-p4` -> `Resnet50PatchifyP4`.
    static func className(_ name: String) -> String {
        let words = name.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        let joined = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        guard let first = joined.first else { return "Model" }
        return first.isNumber ? "Model" + joined : joined
    }

    /// A block parameter's name in Python: `in` is `in_channels`; other keywords and names the
    /// emitted code uses itself get a trailing underscore.
    static func parameterName(_ name: String) -> String {
        if name == "in" { return "in_channels" }
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        let reserved: Set<String> = ["self", "nn", "F", "torch", "x", "shortcut", "super", "int", "float", "bool", "str"]
        return isIdentifier(cleaned) && !reserved.contains(cleaned) ? cleaned : cleaned + "_"
    }

    static func string(_ text: String) -> String { "\"" + inert(text) + "\"" }

    /// Text from a spec or the command line made inert inside a `"..."` string, a `"""`
    /// docstring or a `#` comment: backslashes and quotes escaped (no string can end early),
    /// and control, format and separator characters as `\x`/`\u`/`\U` escapes (no line can
    /// end early, nothing reorders what a reader sees). Within a string Python reads it back as
    /// the text; in a comment it shows the escapes.
    static func inert(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                    let hex = String(scalar.value, radix: 16)
                    let (prefix, width) = scalar.value < 0x100 ? ("\\x", 2) : scalar.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out += prefix + String(repeating: "0", count: width - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A float as Python reads it back exactly (Swift's shortest round-trip form).
    static func float(_ value: Double) -> String {
        let text = "\(value)"
        return text.contains(".") || text.contains("e") || text.contains("n") ? text : text + ".0"
    }

    static func literal(_ value: Value) -> String {
        switch value {
        case .int(let v): return String(v)
        case .float(let v): return float(v)
        case .bool(let v): return v ? "True" : "False"
        case .string(let v): return string(v)
        }
    }

    static func typeName(_ kind: Value.Kind) -> String {
        switch kind {
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .str: return "str"
        }
    }

    /// The expression in Python, names mapped by `name`. Python's `//` and `%` floor, as the
    /// spec's do; parentheses only where precedence needs them.
    static func expression(_ expr: Expr, _ name: (String) -> String) -> String {
        switch expr {
        case .literal(let value): return String(value)
        case .name(let text, _): return name(text)
        case .unary(let operand):
            if case .binary = operand { return "-(\(expression(operand, name)))" }
            return "-" + expression(operand, name)
        case .call(let function, let args, _):
            return function + "(" + args.map { expression($0, name) }.joined(separator: ", ") + ")"
        case .binary(let op, let lhs, let rhs, _):
            let rank = precedence(op)
            var left = expression(lhs, name), right = expression(rhs, name)
            if case .binary(let inner, _, _, _) = lhs, precedence(inner) < rank { left = "(\(left))" }
            if case .binary(let inner, _, _, _) = rhs, precedence(inner) <= rank { right = "(\(right))" }
            return "\(left) \(op.rawValue) \(right)"
        }
    }

    private static func precedence(_ op: Expr.Operator) -> Int {
        op == .add || op == .subtract ? 1 : 2
    }
}
