/// A block type written once in YAML (`specs/blocks/`): typed parameters, a body of layers,
/// a shortcut rule and an optional activation after the residual add.
public struct BlockTemplate: Sendable {
    public struct Param: Sendable {
        public var name: String
        public var kind: Value.Kind
        public var defaultValue: SpecNode?
        public var location: SourceLocation
    }

    public enum Shortcut: Sendable {
        /// No residual connection.
        case none
        /// Identity; the body must preserve the shape.
        case identity(SourceLocation)
        /// Identity when shapes match, no residual otherwise (MBConv).
        case identityIfMatch
        /// Identity when shapes match, else this projection (`downsample`).
        case projection(name: String?, body: [LayerDecl], location: SourceLocation)
    }

    public var name: String
    public var location: SourceLocation
    public var params: [Param]
    public var out: SpecNode?
    public var body: [LayerDecl]
    public var shortcut: Shortcut
    public var afterAdd: LayerDecl?
    /// True when the parameter list itself is malformed: instances would only echo that error.
    public var broken = false

    /// Parameters every block receives from its stage without declaring them.
    public static let implicitParams = ["in", "stride"]
    static let keys = ["params", "out", "body", "shortcut", "after_add", "doc"]

    static func parse(name: String, at location: SourceLocation, _ node: SpecNode, _ diagnostics: DiagnosticEngine) -> BlockTemplate? {
        guard NameCheck.check(name, "block name", at: location, diagnostics),
            let reader = FieldReader(node, "block '\(name)'", allowed: keys, diagnostics)
        else { return nil }
        let errorsBefore = diagnostics.errors.count
        let params = parseParams(reader["params"], block: name, diagnostics)
        let broken = diagnostics.errors.count > errorsBefore
        let body = LayerDecl.parseList(reader.list("body", required: true) ?? [], diagnostics)
        let shortcut = parseShortcut(reader["shortcut"], diagnostics)
        var afterAdd: LayerDecl?
        if let node = reader["after_add"], !node.isNull, let layer = LayerDecl.parse(node, diagnostics) {
            if [.act, .relu, .relu6, .gelu].contains(layer.op) {
                afterAdd = layer
            } else {
                diagnostics.error(layer.location, "'after_add' takes an activation (relu, relu6, gelu, act), found '\(layer.op.rawValue)'")
            }
        }
        return BlockTemplate(
            name: name, location: location, params: params, out: reader["out"], body: body, shortcut: shortcut,
            afterAdd: afterAdd, broken: broken)
    }

    /// `params: {dim: int, kernel: 11}`: a type name declares a required parameter, a value
    /// declares an optional one whose type is the value's.
    static func parseParams(_ node: SpecNode?, block: String, _ diagnostics: DiagnosticEngine) -> [Param] {
        guard let node, !node.isNull else { return [] }
        guard let entries = node.entries else {
            diagnostics.error(node.location, "expected a mapping of parameters for block '\(block)', found \(node.kindDescription)")
            return []
        }
        var params: [Param] = []
        for entry in entries {
            if implicitParams.contains(entry.key) {
                diagnostics.error(entry.keyLocation, "'\(entry.key)' is set by the stage for every block and cannot be declared")
                continue
            }
            guard let text = entry.value.scalar, !entry.value.isNull else {
                diagnostics.error(
                    entry.value.location,
                    "expected a type (int, float, bool, str) or a default value for parameter '\(entry.key)', found \(entry.value.kindDescription)")
                continue
            }
            if let kind = Value.Kind(rawValue: text), case .scalar(_, quoted: false) = entry.value.value {
                params.append(Param(name: entry.key, kind: kind, defaultValue: nil, location: entry.keyLocation))
            } else {
                params.append(Param(name: entry.key, kind: inferKind(entry.value), defaultValue: entry.value, location: entry.keyLocation))
            }
        }
        return params
    }

    static func inferKind(_ node: SpecNode) -> Value.Kind {
        guard case .scalar(let text, let quoted) = node.value, !quoted else { return .str }
        if ScalarParsing.int(text) != nil { return .int }
        if ScalarParsing.bool(text) != nil { return .bool }
        if ScalarParsing.float(text) != nil { return .float }
        return .str
    }

    static func parseShortcut(_ node: SpecNode?, _ diagnostics: DiagnosticEngine) -> Shortcut {
        guard let node, !node.isNull else { return .none }
        if let word = node.scalar {
            switch word {
            case "none": return .none
            case "identity": return .identity(node.location)
            case "identity-if-match": return .identityIfMatch
            default:
                let options = ["none", "identity", "identity-if-match"]
                diagnostics.error(
                    node.location,
                    "expected 'none', 'identity', 'identity-if-match' or a projection mapping for 'shortcut', found '\(word)'"
                        + Suggestion.hint(for: word, among: options))
                return .none
            }
        }
        guard let reader = FieldReader(node, "shortcut", allowed: ["name", "body"], diagnostics) else { return .none }
        let body = LayerDecl.parseList(reader.list("body", required: true) ?? [], diagnostics)
        var name = reader.string("name")
        if let (text, at) = name, !NameCheck.check(text, "shortcut name", at: at, diagnostics) { name = nil }
        return .projection(name: name?.0, body: body, location: node.location)
    }
}
