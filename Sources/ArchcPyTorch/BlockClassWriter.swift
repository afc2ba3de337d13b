import ArchcSpec

/// Writes one block template as an `nn.Module` class: its parameters become the constructor's,
/// its body `forward`'s lines, its shortcut a flag the model sets per instance.
struct BlockClassWriter {
    let template: BlockTemplate
    let className: String
    let defaults: ModelSpec.Defaults
    /// The block's input: a feature map, tokens or a vector.
    let inputForm: ValueForm
    let sourceLine: String

    /// The constructor flag that switches the residual per instance, if the block has one.
    var flag: String? {
        switch template.shortcut {
        case .projection(let name, _, _): return projectionName(name)
        case .identityIfMatch: return "residual"
        case .none, .identity: return nil
        }
    }

    private func projectionName(_ name: String?) -> String { name ?? "shortcut" }

    /// Spec names -> Python names; two parameters never get the same one (`max` -> `max_`
    /// beside a parameter named `max_` -> `max__`).
    private var names: [String: String] {
        var names = ["in": "in_channels", "stride": "stride", "out": "out"]
        var used = Set(names.values)
        if let flag { used.insert(flag) }
        for param in template.params {
            var name = PythonSyntax.parameterName(param.name)
            while used.contains(name) { name += "_" }
            used.insert(name)
            names[param.name] = name
        }
        return names
    }

    private var reader: BlockLayerReader {
        var kinds: [String: Value.Kind] = ["in": .int, "stride": .int, "out": .int]
        for param in template.params { kinds[param.name] = param.kind }
        return BlockLayerReader(defaults: defaults, names: names, kinds: kinds)
    }

    /// The class's Python source.
    func source() throws -> String {
        let reader = self.reader
        let tree = ModuleTree()
        var state = BodyState(channels: "in_channels", form: inputForm)
        var forward = try body(template.body, reader, tree, &state, depth: 0)
        let channels = state.channels
        var initLines = ["super().__init__()"]
        if let out = template.out, usesOut { initLines.append("out = \(try reader.int(out))") }
        initLines += tree.statements()
        if template.out == nil, usesOut, let channels { initLines.append("out = \(channels)") }
        initLines += try shortcutLines(reader, tree: tree, form: inputForm)
        forward = try residualLines(forward, reader)

        var lines = ["class \(className)(nn.Module):"]
        let doc = template.doc.map { ": " + PythonSyntax.inert($0) } ?? ""
        lines.append("    \"\"\"Block '\(PythonSyntax.inert(template.name))' (\(sourceLine))\(doc).\"\"\"")
        lines.append("")
        lines.append("    def __init__(\(signature())):")
        lines += initLines.map { "        " + $0 }
        lines.append("")
        lines.append("    def forward(self, x: torch.Tensor) -> torch.Tensor:")
        lines += forward.map { "        " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the body has produced so far: channels as Python text, the value's form, and how
    /// many regularisers of each kind got an attribute.
    struct BodyState {
        var channels: String?
        var form: ValueForm
        var regularisers: [String: Int] = [:]
    }

    /// The forward lines of a layer list; a `residual:` list adds its input back.
    private func body(_ decls: [LayerDecl], _ reader: BlockLayerReader, _ tree: ModuleTree, _ state: inout BodyState, depth: Int) throws -> [String] {
        var lines: [String] = []
        for (index, decl) in decls.enumerated() {
            if decl.op == .residual {
                let skip = depth == 0 ? "skip" : "skip\(depth + 1)"
                lines.append("\(skip) = x")
                lines += try body(decl.children, reader, tree, &state, depth: depth + 1)
                lines.append("x = x + \(skip)")
                continue
            }
            let layer = try reader.layer(decl, channels: state.channels, form: state.form)
            if layer.ownsTensors {
                let name = try decl.args?["name"].map(reader.word) ?? Self.defaultName(decl.op) ?? String(index)
                let built = layer.constructor!
                try tree.insert(name, layer.isParameter ? .parameter(built) : .module(built), at: decl.location)
                lines.append("x = " + layer.apply(tree.accessor(name)))
            } else if let (stem, module) = layer.regulariser {
                let count = state.regularisers[stem, default: 0] + 1
                state.regularisers[stem] = count
                try tree.insert("\(stem)\(count)", .module(module), at: decl.location)
                lines.append("x = " + layer.apply(tree.accessor("\(stem)\(count)")))
            } else {
                lines.append("x = " + layer.apply(""))
            }
            state.channels = layer.channels(after: state.channels)
            if case .flatten = layer, state.form == .image { state.channels = nil }
            state.form = state.form.after(layer)
        }
        return lines
    }

    /// The checkpoint's own name of a layer written without one (timm's `cls_token`, `attn`).
    static func defaultName(_ op: LayerDecl.Op) -> String? {
        switch op {
        case .clsToken: return "cls_token"
        case .posEmbed: return "pos_embed"
        case .attention: return "attn"
        default: return nil
        }
    }

    /// `self, in_channels: int, *, dim: int, kernel: int = 11, stride: int = 1, downsample: bool = False`
    private func signature() -> String {
        var parts = ["self", "in_channels: int", "*"]
        let names = self.names
        for param in template.params {
            let name = names[param.name]!
            let type = PythonSyntax.typeName(param.kind)
            if let value = defaultLiteral(param) { parts.append("\(name): \(type) = \(value)") } else { parts.append("\(name): \(type)") }
        }
        parts.append("stride: int = 1")
        if let flag { parts.append("\(flag): bool = \(template.shortcut.isIdentityIfMatch ? "True" : "False")") }
        return parts.joined(separator: ", ")
    }

    /// A parameter's default as a Python literal; nil when it is an expression or absent.
    private func defaultLiteral(_ param: BlockTemplate.Param) -> String? {
        guard let node = param.defaultValue, let text = node.scalar else { return nil }
        switch param.kind {
        case .int: return ScalarParsing.int(text).map(String.init)
        case .float: return ScalarParsing.float(text).map(PythonSyntax.float)
        case .bool: return ScalarParsing.bool(text).map { $0 ? "True" : "False" }
        case .str: return PythonSyntax.string(text)
        }
    }

    /// The arguments one instance is built with: the input channels, then every parameter
    /// that differs from its default, the stride and the residual flag.
    func call(_ instance: BlockInstance) -> String {
        var args = [instance.values["in"].map(PythonSyntax.literal) ?? "0"]
        let names = self.names
        for param in template.params {
            guard let value = instance.values[param.name] else { continue }
            let text = PythonSyntax.literal(value)
            if text != defaultLiteral(param) { args.append("\(names[param.name]!)=\(text)") }
        }
        if let stride = instance.values["stride"], stride != .int(1) { args.append("stride=\(PythonSyntax.literal(stride))") }
        switch template.shortcut {
        case .projection where instance.residual == .projection: args.append("\(flag!)=True")
        case .identityIfMatch where instance.residual == .none: args.append("\(flag!)=False")
        default: break
        }
        return "\(className)(" + args.joined(separator: ", ") + ")"
    }

    /// Whether any expression of the template reads `out`.
    private var usesOut: Bool {
        var decls = template.body
        if case .projection(_, let body, _) = template.shortcut { decls += body }
        return decls.contains { decl in
            (decl.args?.entries ?? []).contains { entry in
                let scalars = entry.value.items?.compactMap(\.scalar) ?? [entry.value.scalar].compactMap { $0 }
                return scalars.contains { text in
                    if case .success(let expr) = ExprParser.parse(text) { return expr.names.contains("out") }
                    return false
                }
            }
        }
    }

    /// The projection (`self.downsample = nn.Sequential(...) if downsample else None`) or the
    /// identity-if-match flag.
    private func shortcutLines(_ reader: BlockLayerReader, tree: ModuleTree, form start: ValueForm) throws -> [String] {
        switch template.shortcut {
        case .none, .identity:
            return []
        case .identityIfMatch:
            try tree.insert("residual", .module(""), at: template.location)
            return ["self.residual = residual"]
        case .projection(let name, let body, let location):
            let attribute = projectionName(name)
            guard PythonSyntax.isIdentifier(attribute) else {
                throw PyTorchEmitError(location: location, message: "cannot write the projection name '\(attribute)' in PyTorch; use a plain identifier")
            }
            try tree.insert(attribute, .module(""), at: location)
            var modules: [String] = []
            var channels: String? = "in_channels", form = start
            for decl in body {
                let layer = try reader.layer(decl, channels: channels, form: form)
                if decl.args?["name"] != nil {
                    throw PyTorchEmitError(
                        location: decl.location, message: "cannot write a named layer in a projection shortcut in PyTorch; its layers are numbered")
                }
                guard let module = layer.sequentialModule else {
                    throw PyTorchEmitError(location: decl.location, message: "cannot write this layer in a projection shortcut in PyTorch")
                }
                modules.append(module)
                channels = layer.channels(after: channels)
                form = form.after(layer)
            }
            return ["self.\(attribute) = nn.Sequential("] + modules.map { "    \($0)," } + [") if \(attribute) else None"]
        }
    }

    /// The body's lines with the residual add (and the activation after it) around them.
    private func residualLines(_ body: [String], _ reader: BlockLayerReader) throws -> [String] {
        var after: [String] = []
        if let act = template.afterAdd { after = ["x = " + (try reader.layer(act, channels: nil, form: .image)).apply("")] }
        switch template.shortcut {
        case .none:
            return body + ["return x"]
        case .identity:
            return ["shortcut = x"] + body + ["x = x + shortcut"] + after + ["return x"]
        case .identityIfMatch:
            return ["shortcut = x"] + body + ["if self.residual:", "    x = x + shortcut"] + after.map { "    " + $0 } + ["return x"]
        case .projection(let name, _, _):
            let attribute = projectionName(name)
            return ["shortcut = x"] + body + ["if self.\(attribute) is not None:", "    shortcut = self.\(attribute)(shortcut)", "x = x + shortcut"] + after
                + ["return x"]
        }
    }
}

extension BlockTemplate.Shortcut {
    var isIdentityIfMatch: Bool {
        if case .identityIfMatch = self { return true }
        return false
    }
}
