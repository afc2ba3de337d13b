import ArchcSpec

/// Python spellings: identifiers, class names, literals, and the spec's integer expressions.
enum PythonSyntax {
    static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    /// Names an `nn.Module` (or the `Chain` container, an `nn.ModuleDict`) already has: a
    /// child module of that name would be shadowed or refused by PyTorch. All of PyTorch 2.13's
    /// (`dir(nn.Module)`, `dir(nn.ModuleDict)` and an instance's own), public and private
    /// (`_modules`, `_version` ...); names starting with `__` are refused too, see
    /// `isModuleAttribute`. Other names starting with `_` are fine (EfficientNet's `_bn0`).
    static let moduleAttributes: Set<String> = [
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "clear", "compile",
        "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state",
        "get_parameter", "get_submodule", "half", "ipu", "items", "keys", "load_state_dict", "modules", "mtia",
        "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "pop",
        "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook", "register_module", "register_parameter", "register_state_dict_post_hook",
        "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule", "share_memory",
        "state_dict", "to", "to_empty", "train", "training", "type", "update", "values", "xpu", "zero_grad",
        "_apply", "_backward_hooks", "_backward_pre_hooks", "_buffers", "_call_impl", "_compiled_call_impl",
        "_forward_hooks", "_forward_hooks_always_called", "_forward_hooks_with_kwargs", "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs", "_get_backward_hooks", "_get_backward_pre_hooks", "_get_name",
        "_is_full_backward_hook", "_load_from_state_dict", "_load_state_dict_post_hooks", "_load_state_dict_pre_hooks",
        "_maybe_warn_non_full_backward_hook", "_modules", "_named_members", "_non_persistent_buffers_set", "_parameters",
        "_register_load_state_dict_pre_hook", "_register_state_dict_hook", "_replicate_for_data_parallel",
        "_save_to_state_dict", "_slow_forward", "_state_dict_hooks", "_state_dict_pre_hooks", "_version",
        "_wrapped_call_impl",
    ]

    /// True for a name an `nn.Module` has or may have: `moduleAttributes`, and every name
    /// starting with `__` (`__call__`, `__init__`, `__dict__`; Python mangles the others).
    static func isModuleAttribute(_ name: String) -> Bool {
        name.hasPrefix("__") || moduleAttributes.contains(name)
    }

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

    /// Names a block class's code uses itself, which no parameter may take: its own
    /// arguments and locals, the modules it imports, and the builtins expressions call.
    static let blockNames: Set<String> = [
        "self", "nn", "F", "torch", "x", "shortcut", "super", "int", "float", "bool", "str", "in_channels", "stride",
        "out", "residual", "skip", "min", "max", "__class__",
    ]

    /// A block parameter's name in Python: `in` is `in_channels`; other names are cleaned to
    /// an identifier, a leading `_` gets a `p` before it (Python mangles `__x` in a class), and
    /// keywords and names the emitted code uses itself (`blockNames`, `skip2` ...) get a
    /// trailing underscore. `BlockClassWriter` makes the results unique within a block.
    static func parameterName(_ name: String) -> String {
        if name == "in" { return "in_channels" }
        var cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        if cleaned.hasPrefix("_") { cleaned = "p" + cleaned }
        let isSkip = cleaned.hasPrefix("skip") && cleaned.dropFirst(4).allSatisfy(\.isNumber)
        return isIdentifier(cleaned) && !blockNames.contains(cleaned) && !isSkip ? cleaned : cleaned + "_"
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
