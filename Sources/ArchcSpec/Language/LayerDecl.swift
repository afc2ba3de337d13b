/// One entry of a layer list (a block body, the stem, the head), as written: the op
/// keyword and its arguments, checked for known keys but not yet evaluated.
public struct LayerDecl: Sendable {
    public enum Op: String, Sendable, CaseIterable {
        case conv, dwconv, norm, batchnorm, layernorm, act, relu, relu6, gelu, scale, pool, maxpool, avgpool, linear, flatten
    }

    public var op: Op
    public var args: SpecNode?
    public var location: SourceLocation

    /// Keys each op accepts.
    static func allowedKeys(_ op: Op) -> [String] {
        switch op {
        case .conv: return ["name", "out", "kernel", "stride", "padding", "dilation", "groups", "bias"]
        case .dwconv: return ["name", "out", "kernel", "stride", "padding", "dilation", "bias"]
        case .norm: return ["name", "kind", "eps", "affine"]
        case .batchnorm, .layernorm: return ["name", "eps", "affine"]
        case .act: return ["kind"]
        case .relu, .relu6, .gelu, .flatten: return []
        case .scale: return ["name"]
        case .pool: return ["kind", "kernel", "stride", "padding"]
        case .maxpool, .avgpool: return ["kernel", "stride", "padding"]
        case .linear: return ["name", "out", "bias"]
        }
    }

    /// The key a bare scalar argument stands for (`pool: global-avg`, `act: gelu`, `scale: gamma`).
    static func scalarKey(_ op: Op) -> String? {
        switch op {
        case .pool, .act: return "kind"
        case .norm, .scale, .batchnorm, .layernorm, .conv, .dwconv, .linear: return "name"
        default: return nil
        }
    }

    /// Whether the layer owns tensors, and so needs a name in the checkpoint.
    var hasTensors: Bool {
        switch op {
        case .conv, .dwconv, .batchnorm, .layernorm, .scale, .linear: return true
        case .norm: return true
        default: return false
        }
    }

    /// Parses `- relu`, `- pool: global-avg` or `- conv: {name: pwconv1, out: dim}`.
    static func parse(_ node: SpecNode, _ diagnostics: DiagnosticEngine) -> LayerDecl? {
        let ops = Op.allCases.map(\.rawValue)
        if let word = node.scalar, !node.isNull {
            guard let op = Op(rawValue: word) else {
                diagnostics.error(node.location, "unknown layer '\(word)'" + Suggestion.hint(for: word, among: ops))
                return nil
            }
            return LayerDecl(op: op, args: nil, location: node.location)
        }
        guard let entries = node.entries, entries.count == 1, let entry = entries.first else {
            diagnostics.error(node.location, "expected a layer such as '- relu' or '- conv: {out: 64, kernel: 3}', found \(node.kindDescription)")
            return nil
        }
        guard let op = Op(rawValue: entry.key) else {
            diagnostics.error(entry.keyLocation, "unknown layer '\(entry.key)'" + Suggestion.hint(for: entry.key, among: ops))
            return nil
        }
        let args = normalisedArgs(op, entry.value, diagnostics)
        if let args { _ = FieldReader(args, "'\(op.rawValue)'", allowed: allowedKeys(op), diagnostics) }
        return LayerDecl(op: op, args: args, location: entry.keyLocation)
    }

    /// Turns a scalar shorthand into the mapping it stands for; null means no arguments.
    private static func normalisedArgs(_ op: Op, _ value: SpecNode, _ diagnostics: DiagnosticEngine) -> SpecNode? {
        if value.isNull { return nil }
        if value.entries != nil { return value }
        if value.scalar != nil, let key = scalarKey(op) {
            return SpecNode(.mapping([.init(key: key, keyLocation: value.location, value: value)]), at: value.location)
        }
        diagnostics.error(value.location, "expected a mapping of arguments for '\(op.rawValue)', found \(value.kindDescription)")
        return nil
    }

    /// Parses a list of layers, skipping (after reporting) the malformed ones.
    static func parseList(_ nodes: [SpecNode], _ diagnostics: DiagnosticEngine) -> [LayerDecl] {
        nodes.compactMap { parse($0, diagnostics) }
    }
}
