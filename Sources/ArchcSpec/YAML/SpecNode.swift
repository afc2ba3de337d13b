/// A YAML node that remembers where it was written, the raw material of every diagnostic.
///
/// Scalars stay text: the spec layer decides what a scalar means (an integer, an
/// expression, a name) from where it appears, not from YAML's own type guessing.
public struct SpecNode: Sendable {
    public enum Value: Sendable {
        case scalar(String, quoted: Bool)
        case mapping([Entry])
        case sequence([SpecNode])
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: SpecNode
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    public static func scalar(_ text: String, at location: SourceLocation) -> SpecNode {
        SpecNode(.scalar(text, quoted: false), at: location)
    }

    /// This node and every node under it (YAML nesting is bounded by `SpecLimits.yamlDepth`).
    public var nodeCount: Int {
        switch value {
        case .scalar: return 1
        case .mapping(let entries): return entries.reduce(1) { $0 + 1 + $1.value.nodeCount }
        case .sequence(let items): return items.reduce(1) { $0 + $1.nodeCount }
        }
    }

    public var scalar: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    public var items: [SpecNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// A plain (unquoted) `~`, `null` or empty scalar: YAML's null.
    public var isNull: Bool {
        if case .scalar(let text, let quoted) = value, !quoted { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }

    /// What kind of node this is, for "expected X, found Y" messages.
    public var kindDescription: String {
        switch value {
        case .scalar(let text, _): return isNull ? "nothing" : "'\(text.count > 40 ? String(text.prefix(40)) + "…" : text)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// The value stored under `key` in a mapping node.
    public subscript(key: String) -> SpecNode? {
        entries?.first { $0.key == key }?.value
    }
}
