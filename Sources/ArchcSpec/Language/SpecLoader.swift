import Foundation

/// Loads a spec file with its imports and command-line overrides into one `ModelSpec`.
public struct SpecLoader {
    public let diagnostics: DiagnosticEngine
    /// Where relative paths are read from (nil: the working directory).
    public let directory: String?

    public init(diagnostics: DiagnosticEngine, directory: String? = nil) {
        self.diagnostics = diagnostics
        self.directory = directory
    }

    static let libraryKeys = ["import", "blocks", "doc"]

    /// Loads `path`; nil when the file cannot be parsed at all (diagnostics say why).
    public func load(path: String, overrides: [Override] = []) -> ModelSpec? {
        var chain: [String] = []
        guard var root = readWithBase(path, chain: &chain) else { return nil }
        let paramNames = root["params"]?.entries?.map(\.key) ?? []
        for override in overrides {
            if let error = override.apply(to: &root, specParams: paramNames) { diagnostics.report(error) }
        }
        let parser = SpecParser(diagnostics: diagnostics)
        guard var spec = parser.parseModel(root) else { return nil }
        var visiting = [canonical(path)]
        var origins: [String: SourceLocation] = [:]
        collectBlocks(from: root, file: path, into: &spec.blocks, origins: &origins, visiting: &visiting)
        return spec
    }

    /// Keys a derived spec never inherits: its own identity and its own expectations.
    static let uninherited = ["model", "expect", "doc"]

    /// Reads a spec; with `extends: base.yaml` the base is read first, the file's other
    /// top-level keys replace the base's, and its `set:` edits apply last. An ablation is
    /// then a few lines, not a copy.
    private func readWithBase(_ path: String, chain: inout [String], importedAt: SourceLocation? = nil) -> SpecNode? {
        guard let root = read(path, importedAt: importedAt) else { return nil }
        guard let extends = root["extends"], !extends.isNull else { return root }
        guard let basePath = extends.scalar else {
            diagnostics.error(extends.location, "expected a spec path for 'extends', found \(extends.kindDescription)")
            return nil
        }
        chain.append(canonical(path))
        let resolved = resolve(basePath, relativeTo: path)
        guard !chain.contains(canonical(resolved)) else {
            diagnostics.error(extends.location, "'extends' cycle: '\(basePath)' extends this file again")
            return nil
        }
        guard var base = readWithBase(resolved, chain: &chain, importedAt: extends.location) else { return nil }
        base = Self.absolutisePaths(base, file: resolved, directory: directory)
        guard var entries = base.entries, let own = root.entries else { return root }
        entries.removeAll { Self.uninherited.contains($0.key) || $0.key == "extends" || $0.key == "set" }
        for entry in own where entry.key != "extends" && entry.key != "set" {
            entries.removeAll { $0.key == entry.key }
            entries.append(entry)
        }
        var merged = SpecNode(.mapping(entries), at: root.location)
        let paramNames = merged["params"]?.entries?.map(\.key) ?? []
        for edit in root["set"]?.entries ?? [] {
            guard let segments = Override.parsePath(edit.key) else {
                diagnostics.error(edit.keyLocation, "cannot read the path '\(edit.key)' in 'set'")
                continue
            }
            let override = Override(path: segments, text: edit.value.scalar ?? "", value: edit.value, description: edit.key)
            if let error = override.apply(to: &merged, specParams: paramNames) {
                diagnostics.error(edit.keyLocation, error.message)
            }
        }
        return merged
    }

    /// Rewrites a base spec's relative paths (imports, budget reference) to be relative to
    /// the derived file's world: absolute, since the derived file may live elsewhere
    /// (relative paths are taken from `directory`, or the working directory when nil).
    static func absolutisePaths(_ root: SpecNode, file: String, directory: String? = nil) -> SpecNode {
        guard var entries = root.entries else { return root }
        let base = directory.map { URL(fileURLWithPath: $0, isDirectory: true) }
        func absolute(_ node: SpecNode) -> SpecNode {
            guard let text = node.scalar, !node.isNull else { return node }
            let path = URL(fileURLWithPath: resolve(text, relativeTo: file), relativeTo: base).standardizedFileURL.path
            return SpecNode(.scalar(path, quoted: true), at: node.location)
        }
        for i in entries.indices {
            switch entries[i].key {
            case "import":
                if let items = entries[i].value.items {
                    entries[i].value.value = .sequence(items.map(absolute))
                } else {
                    entries[i].value = absolute(entries[i].value)
                }
            case "budget":
                if var budget = entries[i].value.entries, let j = budget.firstIndex(where: { $0.key == "reference" }) {
                    budget[j].value = absolute(budget[j].value)
                    entries[i].value.value = .mapping(budget)
                }
            default: break
            }
        }
        return SpecNode(.mapping(entries), at: root.location)
    }

    /// Reads and parses one YAML file, reporting failures.
    private func read(_ path: String, importedAt: SourceLocation? = nil) -> SpecNode? {
        switch YAMLLoader.load(path: onDisk(path), displayPath: path) {
        case .success(let root): return root
        case .failure(let error):
            if let importedAt, error.message == "no such file" {
                diagnostics.error(importedAt, "cannot import '\(path)': no such file")
            } else {
                diagnostics.report(error)
            }
            return nil
        }
    }

    /// Adds the file's own blocks, then those of its imports (depth first), refusing cycles
    /// and two blocks of one name.
    private func collectBlocks(
        from root: SpecNode, file: String, into blocks: inout [String: BlockTemplate],
        origins: inout [String: SourceLocation], visiting: inout [String]
    ) {
        let parser = SpecParser(diagnostics: diagnostics)
        for (block, at) in parser.parseBlocks(root["blocks"]) {
            if let first = origins[block.name] {
                diagnostics.error(
                    at, "block '\(block.name)' is defined twice", notes: [.init(location: first, message: "first definition of '\(block.name)' is here")])
                continue
            }
            origins[block.name] = at
            blocks[block.name] = block
        }
        for (importPath, at) in imports(of: root) {
            let resolved = resolve(importPath, relativeTo: file)
            let key = canonical(resolved)
            if visiting.contains(key) {
                diagnostics.error(at, "import cycle: '\(importPath)' is already being imported")
                continue
            }
            guard let library = read(resolved, importedAt: at) else { continue }
            _ = FieldReader(library, "block library '\(importPath)'", allowed: Self.libraryKeys, diagnostics)
            visiting.append(key)
            collectBlocks(from: library, file: resolved, into: &blocks, origins: &origins, visiting: &visiting)
            visiting.removeLast()
        }
    }

    private func imports(of root: SpecNode) -> [(String, SourceLocation)] {
        guard let node = root["import"], !node.isNull else { return [] }
        let items = node.items ?? [node]
        return items.compactMap { item in
            guard let path = item.scalar, !item.isNull else {
                diagnostics.error(item.location, "expected a file path to import, found \(item.kindDescription)")
                return nil
            }
            return (path, item.location)
        }
    }

    /// Paths in a spec are relative to the file that names them.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = (file as NSString).deletingLastPathComponent
        let joined = directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        return normalised(joined)
    }

    /// Removes `.` and `name/..` segments lexically, so diagnostics show `specs/blocks/x.yaml`
    /// rather than `specs/tiny/../blocks/x.yaml`.
    public static func normalised(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    private func resolve(_ path: String, relativeTo file: String) -> String { Self.resolve(path, relativeTo: file) }

    private func canonical(_ path: String) -> String {
        URL(fileURLWithPath: onDisk(path)).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// A spec path as the file system needs it: relative paths joined to `directory`.
    private func onDisk(_ path: String) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }
}
