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
    /// `namedAt` is where another spec names this one (a budget's reference), if it does.
    public func load(path: String, overrides: [Override] = [], namedAt: SourceLocation? = nil) -> ModelSpec? {
        var chain: [String] = []
        guard var root = readWithBase(path, chain: &chain, importedAt: namedAt) else { return nil }
        let paramNames = root["params"]?.entries?.map(\.key) ?? []
        for override in overrides {
            if let error = override.apply(to: &root, specParams: paramNames) { diagnostics.report(error) }
        }
        let parser = SpecParser(diagnostics: diagnostics)
        guard var spec = parser.parseModel(root) else { return nil }
        var imports = ImportWalk(visiting: [canonical(path)])
        collectBlocks(from: root, file: path, into: &spec.blocks, walk: &imports)
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
        guard let basePath = extends.scalar, !basePath.isEmpty else {
            // An empty path resolved to the spec's own folder ("is a directory").
            let found = extends.scalar == "" ? "an empty string" : extends.kindDescription
            diagnostics.error(extends.location, "expected a spec path for 'extends', found \(found)")
            return nil
        }
        chain.append(canonical(path))
        // Each base is read by a nested call: the chain's length is stack depth.
        guard chain.count < SpecLimits.extendsChain else {
            diagnostics.error(
                extends.location, "'extends' chain is longer than \(SpecLimits.extendsChain) files: '\(path)' extends '\(basePath)'")
            return nil
        }
        let resolved = resolve(basePath, relativeTo: path)
        guard !chain.contains(canonical(resolved)) else {
            diagnostics.error(extends.location, "'extends' cycle: '\(basePath)' extends this file again")
            return nil
        }
        guard var base = readWithBase(resolved, chain: &chain, importedAt: extends.location) else { return nil }
        base = Self.absolutisePaths(base, file: resolved, directory: directory)
        guard var entries = base.entries, let own = root.entries else {
            diagnostics.error(extends.location, "cannot extend '\(basePath)': it is not a YAML mapping")
            return nil
        }
        // The file's own keys replace the base's (one pass: a set, not a removal per key).
        let replaced = Set(own.map(\.key)).union(Self.uninherited + ["extends", "set"])
        entries.removeAll { replaced.contains($0.key) }
        entries += own.filter { $0.key != "extends" && $0.key != "set" }
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
    ///
    /// A spec may name any file (`import: [/etc/shadow]`), and a diagnostic must not quote
    /// one that is not a spec. Plain text is refused unquoted. A file named by another
    /// (`importedAt`) must also be a mapping with at least one key of its role (`blocks`
    /// for a library, `model` or `stages` for a spec): /etc/shadow's lines end in `:` and
    /// parse as a mapping, whose unknown keys were echoed one per line.
    private func read(_ path: String, importedAt: SourceLocation? = nil, library: Bool = false) -> SpecNode? {
        let role =
            library
            ? (keys: Self.libraryKeys, what: "a block library: a YAML mapping with 'blocks' or 'import'")
            : (keys: SpecParser.topKeys, what: "a spec: a YAML mapping with keys such as 'model', 'stages' or 'extends'")
        switch YAMLLoader.load(path: onDisk(path), displayPath: path) {
        case .success(let root) where root.scalar != nil:
            diagnostics.error(root.location, "expected a YAML mapping, found plain text (not shown)")
            return nil
        case .success(let root) where importedAt != nil && !(root.entries ?? []).contains(where: { role.keys.contains($0.key) }):
            diagnostics.error(root.location, "expected \(role.what); this file has none of them (its content is not shown)")
            return nil
        case .success(let root): return root
        case .failure(let error):
            if let importedAt, error.message == "no such file" {
                diagnostics.error(importedAt, "cannot \(library ? "import" : "extend") '\(path)': no such file")
            } else {
                diagnostics.report(error)
            }
            return nil
        }
    }

    /// What the walk over imports has seen: the files on the current path (a file met again
    /// there is a cycle) and every file already collected (met again: nothing to add).
    struct ImportWalk {
        var visiting: [String]
        var collected: Set<String> = []
        var origins: [String: SourceLocation] = [:]
        var overLimit = false
        /// YAML nodes of the libraries read so far (`SpecLimits.importedNodes`).
        var nodes = 0
        /// Bytes of the libraries read so far (`SpecLimits.importedBytes`).
        var bytes = 0
    }

    /// Adds the file's own blocks, then those of its imports (depth first), refusing cycles
    /// and two blocks of one name. Each file is read once however often it is imported: a
    /// chain of files each importing the next twice once doubled the work per level.
    private func collectBlocks(from root: SpecNode, file: String, into blocks: inout [String: BlockTemplate], walk: inout ImportWalk) {
        let parser = SpecParser(diagnostics: diagnostics)
        for (block, at) in parser.parseBlocks(root["blocks"]) {
            if let first = walk.origins[block.name] {
                diagnostics.error(
                    at, "block '\(block.name)' is defined twice", notes: [.init(location: first, message: "first definition of '\(block.name)' is here")])
                continue
            }
            walk.origins[block.name] = at
            blocks[block.name] = block
        }
        for (importPath, at) in imports(of: root) {
            let resolved = resolve(importPath, relativeTo: file)
            let key = canonical(resolved)
            if walk.visiting.contains(key) {
                diagnostics.error(at, "import cycle: '\(importPath)' is already being imported")
                continue
            }
            guard !walk.collected.contains(key) else { continue }
            // The walk recurses once per level of imports; the count bounds its depth too.
            guard walk.collected.count < SpecLimits.importedFiles else {
                return stop(&walk, at, "cannot import '\(importPath)': a spec may import at most \(SpecLimits.importedFiles) files")
            }
            walk.collected.insert(key)
            walk.bytes += Self.fileSize(onDisk(resolved))
            guard walk.bytes <= SpecLimits.importedBytes else {
                return stop(&walk, at, "cannot import '\(importPath)': the imported files come to more than \(SpecLimits.importedBytes) bytes together")
            }
            guard let library = read(resolved, importedAt: at, library: true) else { continue }
            walk.nodes += library.nodeCount
            guard walk.nodes <= SpecLimits.importedNodes else {
                return stop(&walk, at, "cannot import '\(importPath)': the imported files hold more than \(SpecLimits.importedNodes) YAML nodes together")
            }
            _ = FieldReader(library, "block library '\(importPath)'", allowed: Self.libraryKeys, diagnostics)
            walk.visiting.append(key)
            collectBlocks(from: library, file: resolved, into: &blocks, walk: &walk)
            walk.visiting.removeLast()
        }
    }

    /// Ends the import walk at a limit, reporting only the first limit met (the walk unwinds
    /// through every enclosing import).
    private func stop(_ walk: inout ImportWalk, _ at: SourceLocation, _ message: String) {
        if !walk.overLimit { diagnostics.error(at, message) }
        walk.overLimit = true
    }

    /// The size of a regular file, 0 for anything else (the reader reports those).
    private static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int(info.st_size)
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
