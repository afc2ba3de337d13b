import ArchcSpec

/// The attribute tree of an emitted module, built from dotted tensor-name prefixes, so that
/// `state_dict()` keys come out as the spec's names (`stages.2.blocks.11.conv_dw.weight`).
///
/// A subtree that holds only blocks runs them in order: `nn.Sequential` when its keys are
/// 0, 1, 2, ..., else a `Chain` (named children run in order). Any other subtree is a
/// namespace: an `nn.ModuleList` of layers keyed 0, 1, 2, ..., or a plain `nn.Module()`.
final class ModuleTree {
    enum Leaf {
        case module(String)
        case parameter(String)
        /// A block instance: a module that `forward` runs as a whole.
        case block(String)
    }

    final class Node {
        let key: String
        var children: [Node] = []
        var leaf: Leaf?
        init(key: String) { self.key = key }

        var isBlock: Bool {
            if case .block? = leaf { return true }
            return false
        }

        /// True when every leaf below is a block: the subtree runs as one module.
        var runsInOrder: Bool { leaf == nil ? !children.isEmpty && children.allSatisfy { $0.isBlock || $0.runsInOrder } : false }

        /// Keys 0, 1, 2, ... in order.
        var hasIndexKeys: Bool { children.enumerated().allSatisfy { $0.element.key == String($0.offset) } }

        var isModuleList: Bool {
            !runsInOrder && hasIndexKeys
                && children.allSatisfy { child in
                    if case .module? = child.leaf { return true }
                    return false
                }
        }
    }

    let root = Node(key: "")

    /// Adds a leaf at a dotted path; a path that is both a leaf and a container is refused.
    func insert(_ path: String, _ leaf: Leaf, at location: SourceLocation) throws {
        var node = root
        let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (depth, key) in keys.enumerated() {
            guard !key.isEmpty else {
                throw PyTorchEmitError(location: location, message: "cannot write the tensor path '\(path)' in PyTorch: it has an empty part")
            }
            guard !PythonSyntax.isModuleAttribute(key) else {
                let what = key.hasPrefix("__") ? "names starting with '__' are Python's and nn.Module's own" : "'\(key)' is an attribute every nn.Module has"
                throw PyTorchEmitError(location: location, message: "cannot write the tensor path '\(path)' in PyTorch: \(what)")
            }
            if node.leaf != nil {
                throw PyTorchEmitError(
                    location: location,
                    message: "cannot write the tensor path '\(path)' in PyTorch: '\(keys[..<depth].joined(separator: "."))' is already a layer")
            }
            let child: Node
            if let existing = node.children.first(where: { $0.key == key }) {
                child = existing
            } else {
                child = Node(key: key)
                node.children.append(child)
            }
            node = child
        }
        guard node.leaf == nil, node.children.isEmpty else {
            throw PyTorchEmitError(location: location, message: "cannot write the tensor path '\(path)' in PyTorch: it is already used")
        }
        node.leaf = leaf
    }

    /// The nodes on the way to `path`, root first.
    func chain(_ path: String) -> [Node] {
        var nodes = [root]
        for key in path.split(separator: ".").map(String.init) {
            guard let next = nodes.last!.children.first(where: { $0.key == key }) else { break }
            nodes.append(next)
        }
        return nodes
    }

    /// How Python reads the node at `path` from `owner` (`self.head.fc`, `self.stem[0]`).
    func accessor(_ path: String, owner: String = "self") -> String {
        let nodes = chain(path)
        var text = owner
        for (parent, child) in zip(nodes, nodes.dropFirst()) { text = Self.child(text, of: parent, child.key, root: parent === root) }
        return text
    }

    /// `root`: the parent is the emitted class itself, an `nn.Module` whatever its keys.
    private static func child(_ text: String, of parent: Node, _ key: String, root: Bool) -> String {
        if !root, parent.runsInOrder && parent.hasIndexKeys || parent.isModuleList { return "\(text)[\(key)]" }
        if PythonSyntax.isIdentifier(key) { return "\(text).\(key)" }
        if parent.runsInOrder { return "\(text)[\(PythonSyntax.string(key))]" }
        return "getattr(\(text), \(PythonSyntax.string(key)))"
    }

    /// Statements that build the tree's children under `owner`, in insertion order.
    func statements(owner: String = "self") -> [String] {
        Self.statements(root, owner, isRoot: true)
    }

    private static func statements(_ node: Node, _ owner: String, isRoot: Bool = false) -> [String] {
        var lines: [String] = []
        for child in node.children {
            let target = Self.child(owner, of: node, child.key, root: isRoot)
            let identifier = PythonSyntax.isIdentifier(child.key)
            func assign(_ value: [String], parameter: Bool = false) {
                guard !identifier else {
                    lines += ["\(target) = " + value[0]] + value.dropFirst()
                    return
                }
                let call = parameter ? "register_parameter" : "add_module"
                lines += ["\(owner).\(call)(\(PythonSyntax.string(child.key)), " + value[0]] + value.dropFirst()
                lines[lines.count - 1] += ")"
            }
            switch child.leaf {
            case .module(let text)?, .block(let text)?: assign([text])
            case .parameter(let text)?: assign([text], parameter: true)
            case nil:
                if child.runsInOrder || child.isModuleList {
                    assign(expression(child))
                } else {
                    assign(["nn.Module()"])
                    lines += statements(child, target)
                }
            }
        }
        return lines
    }

    /// A subtree as one Python expression, one child per line.
    private static func expression(_ node: Node) -> [String] {
        switch node.leaf {
        case .module(let text)?, .block(let text)?, .parameter(let text)?: return [text]
        case nil: break
        }
        let named = !node.hasIndexKeys
        var lines = [node.isModuleList ? "nn.ModuleList([" : named ? "Chain({" : "nn.Sequential("]
        for child in node.children {
            var inner = expression(child)
            if named { inner[0] = PythonSyntax.string(child.key) + ": " + inner[0] }
            inner[inner.count - 1] += ","
            lines += inner.map { "    " + $0 }
        }
        lines.append(node.isModuleList ? "])" : named ? "})" : ")")
        return lines
    }

    /// Block leaves in the order the tree runs them.
    func blocksInOrder() -> [String] {
        var paths: [String] = []
        func walk(_ node: Node, _ prefix: String) {
            for child in node.children {
                let path = prefix.isEmpty ? child.key : prefix + "." + child.key
                if child.isBlock { paths.append(path) } else { walk(child, path) }
            }
        }
        walk(root, "")
        return paths
    }
}
