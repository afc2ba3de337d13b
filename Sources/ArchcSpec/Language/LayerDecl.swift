/// One entry of a layer list (a block body, the stem, the head), as written: the op
/// keyword and its arguments, checked for known keys but not yet evaluated.
public struct LayerDecl: Sendable {
    public enum Op: String, Sendable, CaseIterable {
        case conv, dwconv, norm, batchnorm, layernorm, act, relu, relu6, gelu, scale, pool, maxpool, avgpool, linear, flatten
        // Transformers (docs/transformers.md).
        case tokens, attention, residual, dropout
        case clsToken = "cls_token", posEmbed = "pos_embed", dropPath = "drop_path"
    }

    public var op: Op
    public var args: SpecNode?
    public var location: SourceLocation
    /// The layers of a `residual:` list, whose output is added to their input.
    public var children: [LayerDecl] = []

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
        case .linear: return ["name", "out", "bias", "pixelwise"]
        case .tokens, .residual: return []
        case .clsToken, .posEmbed: return ["name"]
        case .attention: return ["name", "heads", "qkv_bias"]
        case .dropout, .dropPath: return ["p"]
        }
    }

    /// The local name of a layer written without one: the checkpoint's own name where
    /// timm's is fixed (`cls_token`, `pos_embed`, `attn`), else its index in the list.
    var defaultName: String? {
        switch op {
        case .clsToken: return "cls_token"
        case .posEmbed: return "pos_embed"
        case .attention: return "attn"
        default: return nil
        }
    }

    /// The key a bare scalar argument stands for (`pool: global-avg`, `act: gelu`, `scale: gamma`).
    static func scalarKey(_ op: Op) -> String? {
        switch op {
        case .pool, .act: return "kind"
        case .norm, .scale, .batchnorm, .layernorm, .conv, .dwconv, .linear, .clsToken, .posEmbed, .attention: return "name"
        case .dropout, .dropPath: return "p"
        default: return nil
        }
    }

    /// Whether the layer owns tensors, and so needs a name in the checkpoint.
    var hasTensors: Bool {
        switch op {
        case .conv, .dwconv, .batchnorm, .layernorm, .scale, .linear: return true
        case .norm, .clsToken, .posEmbed, .attention: return true
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
            if op == .residual {
                diagnostics.error(node.location, "expected a non-empty list of layers for 'residual', found nothing")
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
        if op == .residual { return parseResidual(entry, diagnostics) }
        let args = normalisedArgs(op, entry.value, diagnostics)
        if let args { _ = FieldReader(args, "'\(op.rawValue)'", allowed: allowedKeys(op), diagnostics) }
        return LayerDecl(op: op, args: args, location: entry.keyLocation)
    }

    /// `- residual: [layernorm: norm1, attention: {heads: 6}]`: the list's output is added to its input.
    private static func parseResidual(_ entry: SpecNode.Entry, _ diagnostics: DiagnosticEngine) -> LayerDecl? {
        guard let items = entry.value.items, !items.isEmpty else {
            diagnostics.error(entry.value.location, "expected a non-empty list of layers for 'residual', found \(entry.value.kindDescription)")
            return nil
        }
        return LayerDecl(op: .residual, args: nil, location: entry.keyLocation, children: parseList(items, diagnostics))
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
