import ArchcSpec

/// Reads a block template's layers with their arguments as Python expressions of the
/// block's parameters (`dim * ratio`), so one class serves every instance of the block.
struct BlockLayerReader {
    let defaults: ModelSpec.Defaults
    /// Spec name -> Python name, for every name a block expression may read.
    let names: [String: String]
    /// The declared kind of each block parameter (`in`, `stride` and `out` are ints).
    let kinds: [String: Value.Kind]

    /// The layer `decl` applied to a value of `channels` channels (nil: not an expression).
    func layer(_ decl: LayerDecl, channels: String?, form: ValueForm) throws -> TorchLayer {
        let args = decl.args
        let image = form == .image
        switch decl.op {
        case .conv, .dwconv:
            guard let channels, image else { throw unsupported(decl, "a conv on a value whose channels are not an expression of the block's parameters") }
            guard let kernelNode = args?["kernel"] else { throw unsupported(decl, "a conv without a kernel") }
            let kernel = try pair(kernelNode)
            let depthwise = decl.op == .dwconv
            let dilation = try args?["dilation"].map(pair) ?? ["1"]
            return .conv(
                .init(
                    inChannels: channels, outChannels: try args?["out"].map(int) ?? channels, kernel: joined(kernel),
                    stride: joined(try args?["stride"].map(pair) ?? ["1"]), dilation: joined(dilation),
                    groups: depthwise ? channels : try args?["groups"].map(int) ?? "1",
                    bias: try args?["bias"].map(bool) ?? (defaults.bias ? "True" : "False"),
                    padding: try padding(args?["padding"], kernel: kernel, dilation: dilation)))
        case .norm, .batchnorm, .layernorm:
            guard let channels else { throw unsupported(decl, "a norm on a value whose channels are not an expression of the block's parameters") }
            var kind = decl.op == .norm ? defaults.norm : decl.op.rawValue
            if let node = args?["kind"] { kind = try word(node) }
            let eps = try args?["eps"].map(float) ?? PythonSyntax.float(defaults.eps)
            let affine = try args?["affine"].map(bool) ?? "True"
            return kind == "layernorm"
                ? .layerNorm(channels: channels, eps: eps, affine: affine, image: image)
                : .batchNorm(channels: channels, eps: eps, affine: affine, image: image)
        case .act, .relu, .relu6, .gelu:
            var kind = decl.op == .act ? defaults.act : decl.op.rawValue
            if let node = args?["kind"] { kind = try word(node) }
            guard let activation = LayerOperation.Activation(rawValue: kind) else { throw unsupported(decl, "the activation '\(kind)'") }
            return .activation(activation)
        case .scale:
            guard let channels else { throw unsupported(decl, "a scale on a value whose channels are not an expression of the block's parameters") }
            return .scale(channels: channels, image: image)
        case .pool, .maxpool, .avgpool:
            var kind = decl.op == .maxpool ? "max" : decl.op == .avgpool ? "avg" : ""
            if let node = args?["kind"] { kind = try word(node) }
            if kind == "global-avg" { return form == .tokens ? .tokenMean : .globalAveragePool }
            if kind == "class-token" { return .classTokenPool }
            guard let kernelNode = args?["kernel"] else { throw unsupported(decl, "a pool without a kernel") }
            let kernel = try int(kernelNode)
            return .pool(
                max: kind == "max", kernel: kernel, stride: try args?["stride"].map(int) ?? kernel, padding: try args?["padding"].map(int) ?? "0")
        case .linear:
            guard let channels else { throw unsupported(decl, "a linear layer whose input features are not an expression of the block's parameters") }
            guard let out = args?["out"] else { throw unsupported(decl, "a linear layer without 'out'") }
            return .linear(inFeatures: channels, outFeatures: try int(out), bias: try args?["bias"].map(bool) ?? "True", pixelwise: image)
        case .flatten:
            return .flatten
        case .tokens:
            return .tokens
        case .clsToken:
            guard let channels else { throw unsupported(decl, "a class token whose channels are not an expression of the block's parameters") }
            return .classToken(channels: channels)
        case .posEmbed:
            throw unsupported(decl, "a position embedding inside a block (its token count is not a block parameter)")
        case .attention:
            guard let channels, form == .tokens else { throw unsupported(decl, "attention whose channels are not an expression of the block's parameters") }
            guard let heads = args?["heads"] else { throw unsupported(decl, "attention without 'heads'") }
            return .attention(channels: channels, heads: try int(heads), qkvBias: try args?["qkv_bias"].map(bool) ?? "True")
        case .dropout:
            return .dropout(p: try args?["p"].map(float) ?? "0.0")
        case .dropPath:
            return .dropPath(p: try args?["p"].map(float) ?? "0.0")
        case .residual:
            throw unsupported(decl, "a residual list here")
        }
    }

    // MARK: - Arguments as Python text

    func int(_ node: SpecNode) throws -> String {
        guard let text = node.scalar, !node.isNull else { throw unsupported(node, "a non-integer argument") }
        if let value = ScalarParsing.int(text) { return String(value) }
        guard case .success(let expr) = ExprParser.parse(text) else { throw unsupported(node, "the expression '\(text)'") }
        for name in expr.names where names[name] == nil { throw unsupported(node, "the expression '\(text)', which reads '\(name)'") }
        return PythonSyntax.expression(expr) { names[$0]! }
    }

    /// One value, or two for `[h, w]`.
    private func pair(_ node: SpecNode) throws -> [String] {
        guard let items = node.items else { return [try int(node)] }
        guard items.count == 2 else { throw unsupported(node, "a list of \(items.count) values") }
        return [try int(items[0]), try int(items[1])]
    }

    private func joined(_ parts: [String]) -> String {
        parts.count == 2 && parts[0] != parts[1] ? "(\(parts[0]), \(parts[1]))" : parts[0]
    }

    private func bool(_ node: SpecNode) throws -> String {
        let text = node.scalar ?? ""
        if let value = ScalarParsing.bool(text) { return value ? "True" : "False" }
        if kinds[text] == .bool, let name = names[text] { return name }
        throw unsupported(node, "the boolean '\(text)'")
    }

    func float(_ node: SpecNode) throws -> String {
        let text = node.scalar ?? ""
        if let value = ScalarParsing.float(text) { return PythonSyntax.float(value) }
        if let kind = kinds[text], kind == .float || kind == .int, let name = names[text] { return name }
        throw unsupported(node, "the number '\(text)'")
    }

    /// A keyword; one read from a `str` parameter would change the class per instance.
    func word(_ node: SpecNode) throws -> String {
        let text = node.scalar ?? ""
        if kinds[text] == .str { throw unsupported(node, "a layer whose '\(text)' comes from a str parameter") }
        return text
    }

    /// Explicit padding, `valid`, TensorFlow's "SAME" (nil), or archc's default: centred for
    /// odd kernels, none for even ones (`centred_padding` when the kernel is a parameter).
    private func padding(_ node: SpecNode?, kernel: [String], dilation: [String]) throws -> String? {
        var mode = defaults.padding
        if let node {
            if let text = node.scalar, ["valid", "same", "tf-same", "symmetric"].contains(text) {
                mode = text
            } else {
                return joined(try pair(node))
            }
        }
        switch mode {
        case "valid": return "0"
        case "same", "tf-same": return nil
        default:
            let dims = kernel.count == 2 || dilation.count == 2 ? [0, 1] : [0]
            return joined(dims.map { centred(kernel[min($0, kernel.count - 1)], dilation[min($0, dilation.count - 1)]) })
        }
    }

    private func centred(_ kernel: String, _ dilation: String) -> String {
        if let k = Int(kernel), let d = Int(dilation) { return String(k % 2 == 1 ? d * (k - 1) / 2 : 0) }
        return dilation == "1" ? "centred_padding(\(kernel))" : "centred_padding(\(kernel), \(dilation))"
    }

    private func unsupported(_ decl: LayerDecl, _ what: String) -> PyTorchEmitError {
        PyTorchEmitError(location: decl.location, message: "cannot write \(what) in PyTorch")
    }

    private func unsupported(_ node: SpecNode, _ what: String) -> PyTorchEmitError {
        PyTorchEmitError(location: node.location, message: "cannot write \(what) in PyTorch")
    }
}
