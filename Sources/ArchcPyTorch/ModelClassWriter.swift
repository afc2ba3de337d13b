import ArchcSpec

/// Writes the model class: stem and head layers with literal arguments, the blocks as
/// instances of their classes placed at their names, and `forward` in execution order.
struct ModelClassWriter {
    let spec: ModelSpec
    let network: Network
    let className: String
    /// The block classes by template name.
    let blocks: [String: BlockClassWriter]
    let sourceLine: (SourceLocation) -> String

    func source() throws -> String {
        let tree = ModuleTree()
        let stem = try layers(.stem, decls: spec.stem, tree: tree)
        for instance in network.blocks {
            guard let writer = blocks[instance.template] else { continue }
            try tree.insert(instance.path, .block(writer.call(instance)), at: instance.location)
        }
        let head = try layers(.head, decls: spec.head, tree: tree)
        guard tree.blocksInOrder() == network.blocks.map(\.path) else {
            throw PyTorchEmitError(
                location: spec.blockNames?.1 ?? spec.location,
                message: "cannot write the block names in PyTorch: containers of their names would run the blocks out of order")
        }
        var forward: [String] = []
        if !stem.isEmpty { forward += ["# stem (\(sourceLine(spec.stem[0].location)))"] + stem.map { $0(tree) } }
        forward += stageLines(tree)
        if !head.isEmpty { forward += ["# head (\(sourceLine(spec.head[0].location)))"] + head.map { $0(tree) } }

        var lines = ["class \(className)(nn.Module):"]
        lines.append(
            "    \"\"\"\(PythonSyntax.inert(spec.name)) (\(sourceLine(spec.location))): input \(shape(network.input)), output \(shape(network.output)).\"\"\"")
        lines.append("")
        lines.append("    input_shape = \(shape(network.input))")
        lines.append("")
        lines.append("    def __init__(self) -> None:")
        lines.append("        super().__init__()")
        lines += tree.statements().map { "        " + $0 }
        lines.append("")
        lines.append("    def forward(self, x: torch.Tensor) -> torch.Tensor:")
        lines += (forward + ["return x"]).map { "        " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    private func shape(_ shape: TensorShape) -> String {
        let dims = shape.dims.map(String.init)
        return "(" + dims.joined(separator: ", ") + (dims.count == 1 ? ",)" : ")")
    }

    /// Adds a section's layers to the tree; returns each layer's forward line, to be rendered
    /// once the tree is complete (its shape decides how a path is read).
    private func layers(_ section: Layer.Section, decls: [LayerDecl], tree: ModuleTree) throws -> [(ModuleTree) -> String] {
        let elaborated = network.layers.filter { $0.section == section }
        var next = 0
        var lines: [(ModuleTree) -> String] = []
        var regularisers: [String: Int] = [:]
        for decl in decls {
            let torch: TorchLayer
            var name: String?
            switch decl.op {
            case .dropout, .dropPath:
                // No layer in the network (a no-op at inference), but a module when training.
                let p = try decl.args?["p"].map(probability) ?? "0.0"
                torch = decl.op == .dropout ? .dropout(p: p) : .dropPath(p: p)
            case .attention, .residual:
                throw PyTorchEmitError(location: decl.location, message: "cannot write '\(decl.op.rawValue)' outside a block in PyTorch")
            default:
                guard next < elaborated.count else {
                    throw PyTorchEmitError(location: decl.location, message: "cannot match the \(section) layers to the spec")
                }
                torch = try TorchLayer.literal(elaborated[next], decl: decl, defaults: spec.defaults)
                name = elaborated[next].name
                next += 1
            }
            if torch.ownsTensors, let name {
                try tree.insert(name, torch.isParameter ? .parameter(torch.constructor!) : .module(torch.constructor!), at: decl.location)
                lines.append { "x = " + torch.apply($0.accessor(name)) }
            } else if let (stem, module) = torch.regulariser {
                let count = regularisers[stem, default: 0] + 1
                regularisers[stem] = count
                let path = section == .stem ? "\(stem)\(count)" : "head_\(stem)\(count)"
                try tree.insert(path, .module(module), at: decl.location)
                lines.append { "x = " + torch.apply($0.accessor(path)) }
            } else {
                lines.append { _ in "x = " + torch.apply("") }
            }
        }
        return lines
    }

    private func probability(_ node: SpecNode) throws -> String {
        guard let text = node.scalar, let value = ScalarParsing.float(text) else {
            throw PyTorchEmitError(location: node.location, message: "cannot write the dropout rate '\(node.scalar ?? "")' in PyTorch; write a number")
        }
        return PythonSyntax.float(value)
    }

    /// One call per container that runs blocks in order (`x = self.stages(x)`), or per block.
    private func stageLines(_ tree: ModuleTree) -> [String] {
        guard !network.blocks.isEmpty else { return [] }
        let summary = network.stages.map { "\($0.block) x\($0.depth)" }.joined(separator: ", ")
        var lines = ["# stages: \(PythonSyntax.inert(summary))"]
        var called: Set<String> = []
        for instance in network.blocks {
            let nodes = tree.chain(instance.path)
            // The outermost container that runs only blocks, else the block itself.
            let depth = nodes.indices.dropFirst().first { nodes[$0].runsInOrder || nodes[$0].isBlock } ?? nodes.count - 1
            let path = nodes[1...depth].map(\.key).joined(separator: ".")
            if called.insert(path).inserted { lines.append("x = \(tree.accessor(path))(x)") }
        }
        return lines
    }
}
