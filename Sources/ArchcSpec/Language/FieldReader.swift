/// Reads one YAML mapping of a spec: known keys only, required keys present, typed scalars.
///
/// Every problem becomes a located diagnostic; callers get nil and carry on, so one run
/// reports every error in the file.
struct FieldReader {
    let node: SpecNode
    let what: String
    let diagnostics: DiagnosticEngine
    let entries: [SpecNode.Entry]

    /// Checks that `node` is a mapping whose keys are all in `allowed`.
    init?(_ node: SpecNode, _ what: String, allowed: [String], _ diagnostics: DiagnosticEngine) {
        guard let entries = node.entries else {
            diagnostics.error(node.location, "expected a mapping for \(what), found \(node.kindDescription)")
            return nil
        }
        self.node = node
        self.what = what
        self.diagnostics = diagnostics
        self.entries = entries
        // A set: a stage passes its own keys as `allowed`, and a stage of 60,000 keys made
        // the array lookup quadratic (minutes).
        let known = Set(allowed)
        for entry in entries where !known.contains(entry.key) {
            diagnostics.error(entry.keyLocation, "unknown key '\(entry.key)' in \(what)" + Suggestion.hint(for: entry.key, among: allowed))
        }
    }

    subscript(key: String) -> SpecNode? { node[key] }

    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key == key }?.keyLocation
    }

    /// The value under `key`, or an error at the mapping when it is missing.
    func required(_ key: String) -> SpecNode? {
        if let value = node[key] { return value }
        diagnostics.error(node.location, "missing '\(key)' in \(what)")
        return nil
    }

    /// A plain string value (names, kinds, paths).
    func string(_ key: String, required: Bool = false) -> (String, SourceLocation)? {
        guard let value = required ? self.required(key) : node[key] else { return nil }
        return Self.string(value, key: key, what: what, diagnostics)
    }

    static func string(_ value: SpecNode, key: String, what: String, _ diagnostics: DiagnosticEngine) -> (String, SourceLocation)? {
        guard let text = value.scalar, !value.isNull else {
            diagnostics.error(value.location, "expected a string for '\(key)' in \(what), found \(value.kindDescription)")
            return nil
        }
        return (text, value.location)
    }

    /// One of a fixed set of words.
    func choice(_ key: String, _ options: [String]) -> (String, SourceLocation)? {
        guard let (text, at) = string(key) else { return nil }
        guard options.contains(text) else {
            diagnostics.error(
                at,
                "expected one of \(options.map { "'\($0)'" }.joined(separator: ", ")) for '\(key)', found '\(text)'"
                    + Suggestion.hint(for: text, among: options))
            return nil
        }
        return (text, at)
    }

    /// A list value; a single scalar or mapping is refused with the expected form.
    func list(_ key: String, required: Bool = false) -> [SpecNode]? {
        guard let value = required ? self.required(key) : node[key] else { return nil }
        if value.isNull { return [] }
        guard let items = value.items else {
            diagnostics.error(value.location, "expected a list for '\(key)' in \(what), found \(value.kindDescription)")
            return nil
        }
        return items
    }
}
