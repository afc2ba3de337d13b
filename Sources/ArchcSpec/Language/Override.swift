/// A command-line edit of a spec, `--set stages[2].depth=14`, applied to the YAML tree
/// before parsing, so an ablation needs no copied file.
public struct Override: Sendable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
        case every
    }

    public var path: [Segment]
    public var text: String
    public var value: SpecNode
    public var description: String

    /// Parses `key.sub[2].leaf=value`; the value is read as YAML (`[192, 192]` is a list).
    public static func parse(_ assignment: String) -> Result<Override, Diagnostic> {
        let at = SourceLocation.commandLine("--set \(assignment)")
        guard let equals = assignment.firstIndex(of: "=") else {
            return .failure(.error(at, "expected key=value, found '\(assignment)'"))
        }
        let pathText = String(assignment[..<equals])
        let valueText = String(assignment[assignment.index(after: equals)...])
        // An empty value parses as null: `--set stages=` (a cut-off command) gave a model with no stage.
        guard !valueText.allSatisfy(\.isWhitespace) else {
            return .failure(.error(at, "no value after '='; write '\(pathText)=null' if none is meant"))
        }
        guard let path = parsePath(pathText) else {
            return .failure(.error(at, "cannot read the path '\(pathText)'; expected keys joined by '.' with optional [index] or [*]"))
        }
        switch YAMLLoader.parse(bytes: Array(valueText.utf8), file: at.file) {
        case .success(let value):
            return .success(Override(path: path, text: valueText, value: relocate(value, to: at), description: assignment))
        case .failure:
            return .success(Override(path: path, text: valueText, value: .scalar(valueText, at: at), description: assignment))
        }
    }

    /// Applies the edit; a path that names nothing is an error with a suggestion.
    public func apply(to root: inout SpecNode, specParams: [String]) -> Diagnostic? {
        // A base is read (and a file's own `set:` applied) before any --set edit: changing them
        // here would be silently ignored.
        if case .key(let key) = path.first, key == "extends" || key == "set" {
            return .error(
                .commandLine("--set \(description)"), "'\(key)' cannot be changed with --set: the base is read before --set applies; edit the file")
        }
        var path = self.path
        // `--set kernel=7` reaches the spec's own parameter when no top-level key is meant.
        if path.count == 1, case .key(let key) = path[0], root[key] == nil, specParams.contains(key) {
            path = [.key("params"), .key(key)]
        }
        return set(&root, path[...])
    }

    private func set(_ node: inout SpecNode, _ path: ArraySlice<Segment>) -> Diagnostic? {
        guard let segment = path.first else {
            node = value
            return nil
        }
        let rest = path.dropFirst()
        let at = SourceLocation.commandLine("--set \(description)")
        switch (segment, node.value) {
        case (.key(let key), .mapping(var entries)):
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let error = set(&entries[i].value, rest) { return error }
            } else if rest.isEmpty {
                entries.append(.init(key: key, keyLocation: at, value: value))
            } else {
                return .error(at, "no key '\(key)' at \(node.location)" + Suggestion.hint(for: key, among: entries.map(\.key)))
            }
            node.value = .mapping(entries)
        case (.index(let i), .sequence(var items)):
            guard items.indices.contains(i) else {
                return .error(at, "index \(i) is out of range: the list at \(node.location) has \(items.count) entries")
            }
            if let error = set(&items[i], rest) { return error }
            node.value = .sequence(items)
        case (.every, .sequence(var items)):
            for i in items.indices {
                if let error = set(&items[i], rest) { return error }
            }
            node.value = .sequence(items)
        case (.key(let key), _):
            return .error(at, "cannot set '\(key)' inside \(node.kindDescription) at \(node.location): it is not a mapping")
        case (.index(let i), _):
            return .error(at, "cannot index [\(i)] into \(node.kindDescription) at \(node.location): it is not a list")
        case (.every, _):
            return .error(at, "cannot apply [*] to \(node.kindDescription) at \(node.location): it is not a list")
        }
        return nil
    }

    static func parsePath(_ text: String) -> [Segment]? {
        var segments: [Segment] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            let keyEnd = rest.firstIndex(of: "[") ?? rest.endIndex
            let key = rest[..<keyEnd]
            if !key.isEmpty { segments.append(.key(String(key))) }
            rest = rest[keyEnd...]
            while rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                if inner == "*" { segments.append(.every) } else if let i = Int(inner), i >= 0 { segments.append(.index(i)) } else { return nil }
                rest = rest[rest.index(after: close)...]
            }
            guard rest.isEmpty, !(key.isEmpty && segments.isEmpty) else { return nil }
        }
        return segments.isEmpty ? nil : segments
    }

    private static func relocate(_ node: SpecNode, to at: SourceLocation) -> SpecNode {
        var copy = node
        copy.location = at
        switch node.value {
        case .scalar: break
        case .sequence(let items): copy.value = .sequence(items.map { relocate($0, to: at) })
        case .mapping(let entries):
            copy.value = .mapping(entries.map { .init(key: $0.key, keyLocation: at, value: relocate($0.value, to: at)) })
        }
        return copy
    }
}
