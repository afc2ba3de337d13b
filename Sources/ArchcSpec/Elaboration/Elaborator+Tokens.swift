/// Shape inference and tensor naming for the transformer layers (docs/transformers.md):
/// the patch grid turned into tokens, the class token, the position embedding, multi-head
/// attention, residual lists, and dropout as an inference no-op.
extension Elaborator {
    /// [C, H, W] -> [H*W, C].
    func tokens(_ decl: LayerDecl, _ input: TensorShape) -> Built? {
        guard let (c, h, w) = requireImage(input, "tokens", decl.location) else { return nil }
        guard let count = Checked.product([h, w]) else { return nil }
        return (.tokens, .tokens(count: count, channels: c), [])
    }

    /// [T, C] -> [T+1, C]; tensor `cls_token` [1, 1, C].
    func classToken(_ decl: LayerDecl, _ input: TensorShape, _ name: String) -> Built? {
        guard let (t, c) = requireTokens(input, "cls_token", decl.location), let count = Checked.sum([t, 1]) else { return nil }
        return (.classToken, .tokens(count: count, channels: c), [.init(name: name, shape: [1, 1, c], isParameter: true)])
    }

    /// [T, C] -> [T, C]; tensor `pos_embed` [1, T, C], one learned vector per position.
    func positionEmbedding(_ decl: LayerDecl, _ input: TensorShape, _ name: String) -> Built? {
        guard let (t, c) = requireTokens(input, "pos_embed", decl.location) else { return nil }
        return (.positionEmbedding, input, [.init(name: name, shape: [1, t, c], isParameter: true)])
    }

    /// Multi-head self-attention as three layers, so each is one op downstream and the
    /// attention matmuls are priced on a line of their own:
    /// `<name>.qkv` linear [T, C] -> [T, 3C], the attention core [T, 3C] -> [T, C],
    /// `<name>.proj` linear [T, C] -> [T, C].
    /// The head counts that divide `channels`, all of them when there are at most 16, else
    /// the 16 nearest `heads`; found by trial division up to the square root (at most 2^16
    /// steps: a width past 2^32 lists the divisors below 2^16 and their cofactors).
    static func headCounts(_ channels: Int, near heads: Int) -> [Int] {
        var divisors: [Int] = []
        var d = 1
        while d <= 1 << 16, d <= channels / d {
            if channels % d == 0 { divisors += d == channels / d ? [d] : [d, channels / d] }
            d += 1
        }
        divisors.sort()
        guard divisors.count > 16 else { return divisors }
        return divisors.sorted { abs($0 - heads) < abs($1 - heads) }.prefix(16).sorted()
    }

    func attention(_ decl: LayerDecl, _ args: LayerArgs, from input: Cursor, name: String, site: Site, scope: Scope) -> Cursor? {
        guard let (t, c) = requireTokens(input.shape, "attention", decl.location) else { return nil }
        guard let headsNode = args["heads"] else {
            error(decl.location, "missing 'heads' in 'attention'")
            return nil
        }
        let qkvBias = optional(args["qkv_bias"], default: true) { bool($0, scope, "'qkv_bias'") }
        guard let heads = int(headsNode, scope, "'heads'"), let qkvBias else { return nil }
        guard heads >= 1 else {
            error(headsNode.location, "heads must be at least 1, found \(heads)")
            return nil
        }
        guard c % heads == 0 else {
            let fitting = Self.headCounts(c, near: heads).map(String.init)
            let choices = fitting.count == 1 ? fitting[0] : fitting.dropLast().joined(separator: ", ") + " or " + fitting.last!
            error(headsNode.location, "\(heads) heads do not divide the \(c) channels of '\(name)'; \(c) channels split into \(choices) heads")
            return nil
        }
        guard let wide = Checked.product([c, 3]) else { return nil }
        let qkv = linearTensors("\(name).qkv", out: wide, features: c, bias: qkvBias)
        var cursor = append(
            name: "\(name).qkv", .linear(outFeatures: wide, bias: qkvBias), inputs: [input.value], input: input.shape,
            output: .tokens(count: t, channels: wide), tensors: qkv, section: site.section, block: site.block, at: decl.location)
        guard !aborted else { return nil }
        let core = LayerOperation.Attention(heads: heads, headDim: c / heads)
        cursor = append(
            name: name, .attention(core), inputs: [cursor.value], input: cursor.shape, output: input.shape, tensors: [],
            section: site.section, block: site.block, at: decl.location)
        guard !aborted else { return nil }
        return append(
            name: "\(name).proj", .linear(outFeatures: c, bias: true), inputs: [cursor.value], input: cursor.shape,
            output: input.shape, tensors: linearTensors("\(name).proj", out: c, features: c, bias: true),
            section: site.section, block: site.block, at: decl.location)
    }

    /// `weight` [out, features] and, with a bias, `bias` [out].
    func linearTensors(_ name: String, out: Int, features: Int, bias: Bool) -> [Layer.Tensor] {
        var tensors = [Layer.Tensor(name: "\(name).weight", shape: [out, features], isParameter: true)]
        if bias { tensors.append(.init(name: "\(name).bias", shape: [out], isParameter: true)) }
        return tensors
    }

    /// `- residual: [...]`: the list runs from this input and its output is added back to it
    /// (a pre-norm transformer block has two). Names stay the enclosing list's.
    func residual(_ decl: LayerDecl, from input: Cursor, name: String, site: Site, scope: Scope) -> Cursor? {
        // An empty list means its layers were malformed (already reported).
        guard !decl.children.isEmpty else { return nil }
        let (body, complete) = elaborateSequence(
            decl.children, from: input, prefix: site.prefix, display: name, scope: scope, section: site.section, block: site.block)
        guard complete else { return nil }
        guard body.shape == input.shape else {
            error(decl.location, "the residual's layers turn \(input.shape.kindDescription) into \(body.shape); both sides of the add must match")
            return nil
        }
        return append(
            name: "\(name).add", .add, inputs: [body.value, input.value], input: body.shape, output: body.shape, tensors: [],
            section: site.section, block: site.block, at: decl.location)
    }

    /// Dropout and drop-path compute nothing at inference: checked, then skipped.
    func inferenceNoOp(_ decl: LayerDecl, _ args: LayerArgs, from input: Cursor, _ scope: Scope) -> Cursor? {
        guard let node = args["p"] else { return input }
        guard let p = float(node, scope, "'p'") else { return nil }
        guard p >= 0, p < 1 else {
            error(node.location, "'\(decl.op.rawValue)' needs a probability p in [0, 1), found \(p)")
            return nil
        }
        return input
    }
}
