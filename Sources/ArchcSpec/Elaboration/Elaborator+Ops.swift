/// Shape inference and tensor naming for each kind of layer.
extension Elaborator {
    typealias Built = (LayerOperation, TensorShape, [Layer.Tensor])

    func conv(_ decl: LayerDecl, _ args: LayerArgs, _ input: TensorShape, _ name: String, _ scope: Scope) -> Built? {
        let op = decl.op.rawValue
        guard let (inC, h, w) = requireImage(input, op, decl.location) else { return nil }
        guard let kernelNode = args["kernel"] else {
            error(decl.location, "missing 'kernel' in '\(op)'")
            return nil
        }
        guard let kernel = intPair(kernelNode, scope, "'kernel'") else { return nil }
        let depthwise = decl.op == .dwconv
        let out = optional(args["out"], default: inC) { int($0, scope, "'out'") }
        let groups = depthwise ? inC : optional(args["groups"], default: 1) { int($0, scope, "'groups'") }
        let stride = optional(args["stride"], default: (1, 1)) { intPair($0, scope, "'stride'") }
        let dilation = optional(args["dilation"], default: (1, 1)) { intPair($0, scope, "'dilation'") }
        let bias = optional(args["bias"], default: spec.defaults.bias) { bool($0, scope, "'bias'") }
        guard let out, let groups, let stride, let dilation, let bias else { return nil }
        let checks = [
            positive(kernel, "kernel", args["kernel"], decl), positive(stride, "stride", args["stride"], decl),
            positive(dilation, "dilation", args["dilation"], decl), positive((out, out), "out", args["out"], decl),
        ]
        guard !checks.contains(false) else { return nil }
        guard groups >= 1 else {
            error(args["groups"]?.location ?? decl.location, "groups must be at least 1, found \(groups)")
            return nil
        }
        if inC % groups != 0 {
            error(args["groups"]?.location ?? decl.location, "groups \(groups) does not divide the \(inC) input channels of '\(name)'")
            return nil
        }
        if out % groups != 0 {
            error(args["out"]?.location ?? decl.location, "'\(name)' has \(out) output channels, not a multiple of its \(groups) groups")
            return nil
        }
        // The window a dilated kernel covers: dilation * (kernel - 1) + 1 pixels.
        guard let spanH = Checked.sum([Checked.product([dilation.0, kernel.0 - 1]) ?? Int.max, 1]),
            let spanW = Checked.sum([Checked.product([dilation.1, kernel.1 - 1]) ?? Int.max, 1])
        else {
            error(decl.location, "the kernel window of '\(name)' (dilation x (kernel - 1) + 1) overflows 64-bit arithmetic")
            return nil
        }
        let span = (spanH, spanW)
        guard let padding = convPadding(args, kernel: kernel, span: span, stride: stride, size: (h, w), scope, decl) else { return nil }
        guard let paddedH = Checked.sum([h, padding.top, padding.bottom]), let paddedW = Checked.sum([w, padding.left, padding.right]) else {
            error(decl.location, "the padded input of '\(name)' (input \(h)x\(w) plus padding) overflows 64-bit arithmetic")
            return nil
        }
        let padded = (paddedH, paddedW)
        if padded.0 < span.0 || padded.1 < span.1 {
            error(decl.location, "kernel \(span.0)x\(span.1) of '\(name)' is larger than its padded input \(padded.0)x\(padded.1) (input \(h)x\(w))")
            return nil
        }
        let outH = (padded.0 - span.0) / stride.0 + 1, outW = (padded.1 - span.1) / stride.1 + 1
        let attrs = LayerOperation.Conv2D(
            inChannels: inC, outChannels: out, kernel: (kernel.0, kernel.1), stride: (stride.0, stride.1),
            padding: padding, dilation: (dilation.0, dilation.1), groups: groups, bias: bias)
        var tensors = [Layer.Tensor(name: "\(name).weight", shape: [out, inC / groups, kernel.0, kernel.1], isParameter: true)]
        if bias { tensors.append(.init(name: "\(name).bias", shape: [out], isParameter: true)) }
        return (.conv(attrs), .image(channels: out, height: outH, width: outW), tensors)
    }

    /// Explicit padding, `valid`, `same`/`tf-same`, or the default: odd kernels centred
    /// (`k // 2`, PyTorch's habit), even kernels (patchify) unpadded.
    private func convPadding(
        _ args: LayerArgs, kernel: (Int, Int), span: (Int, Int), stride: (Int, Int), size: (Int, Int),
        _ scope: Scope, _ decl: LayerDecl
    ) -> (top: Int, left: Int, bottom: Int, right: Int)? {
        var mode = spec.defaults.padding
        if let node = args["padding"] {
            if let text = node.scalar, ["valid", "same", "tf-same", "symmetric"].contains(text) {
                mode = text
            } else {
                guard let (ph, pw) = intPair(node, scope, "'padding'") else { return nil }
                guard ph >= 0, pw >= 0 else {
                    error(node.location, "padding must not be negative, found \(ph == pw ? "\(ph)" : "[\(ph), \(pw)]")")
                    return nil
                }
                return (ph, pw, ph, pw)
            }
        }
        switch mode {
        case "valid":
            return (0, 0, 0, 0)
        case "same", "tf-same":
            // TensorFlow "SAME": out = ceil(in / stride), the odd pixel of padding goes bottom/right.
            // Written so no step exceeds its inputs: (out - 1) * stride < size, and the
            // overhang size - (out - 1) * stride lies in 1...stride.
            func split(_ size: Int, _ span: Int, _ stride: Int) -> (Int, Int) {
                let out = size / stride + (size % stride == 0 ? 0 : 1)
                let total = max(span - (size - (out - 1) * stride), 0)
                return (total / 2, total - total / 2)
            }
            let (top, bottom) = split(size.0, span.0, stride.0), (left, right) = split(size.1, span.1, stride.1)
            return (top, left, bottom, right)
        default:
            let ph = kernel.0 % 2 == 1 ? span.0 / 2 : 0, pw = kernel.1 % 2 == 1 ? span.1 / 2 : 0
            return (ph, pw, ph, pw)
        }
    }

    /// The argument's value when written, `fallback` when absent, nil when written but invalid.
    func optional<T>(_ node: SpecNode?, default fallback: T, _ read: (SpecNode) -> T?) -> T? {
        guard let node else { return fallback }
        return read(node)
    }

    private func positive(_ pair: (Int, Int), _ key: String, _ node: SpecNode?, _ decl: LayerDecl) -> Bool {
        guard pair.0 < 1 || pair.1 < 1 else { return true }
        let shown = pair.0 == pair.1 ? "\(pair.0)" : "[\(pair.0), \(pair.1)]"
        error(node?.location ?? decl.location, "\(key) must be at least 1, found \(shown)")
        return false
    }

    func norm(_ decl: LayerDecl, _ args: LayerArgs, _ input: TensorShape, _ name: String, _ scope: Scope) -> Built? {
        var kind = decl.op == .norm ? spec.defaults.norm : decl.op.rawValue
        if let node = args["kind"], let text = word(node, scope, "'kind'") {
            guard ["batchnorm", "layernorm"].contains(text) else {
                error(
                    node.location,
                    "expected 'batchnorm' or 'layernorm' for the norm kind, found '\(text)'" + Suggestion.hint(for: text, among: ["batchnorm", "layernorm"]))
                return nil
            }
            kind = text
        }
        let eps = optional(args["eps"], default: spec.defaults.eps) { float($0, scope, "'eps'") }
        let affine = optional(args["affine"], default: true) { bool($0, scope, "'affine'") }
        guard let eps, let affine else { return nil }
        guard eps > 0 else {
            error(args["eps"]?.location ?? decl.location, "eps must be positive, found \(eps)")
            return nil
        }
        if kind == "batchnorm", case .tokens = input {
            error(decl.location, "'batchnorm' expects a feature map or a feature vector, found \(input.kindDescription); use 'layernorm' on tokens")
            return nil
        }
        let c = input.channels
        var tensors: [Layer.Tensor] = []
        if affine {
            tensors += [.init(name: "\(name).weight", shape: [c], isParameter: true), .init(name: "\(name).bias", shape: [c], isParameter: true)]
        }
        if kind == "batchnorm" {
            tensors += [
                .init(name: "\(name).running_mean", shape: [c], isParameter: false),
                .init(name: "\(name).running_var", shape: [c], isParameter: false),
            ]
            return (.batchNorm(eps: eps, affine: affine), input, tensors)
        }
        return (.layerNorm(eps: eps, affine: affine), input, tensors)
    }

    func activation(_ decl: LayerDecl, _ args: LayerArgs, _ input: TensorShape, _ scope: Scope) -> Built? {
        var kind = decl.op == .act ? spec.defaults.act : decl.op.rawValue
        if let node = args["kind"], let text = word(node, scope, "'kind'") { kind = text }
        guard let activation = LayerOperation.Activation(rawValue: kind) else {
            let options = ["relu", "relu6", "gelu"]
            error(args["kind"]?.location ?? decl.location, "unknown activation '\(kind)'" + Suggestion.hint(for: kind, among: options))
            return nil
        }
        return (.activation(activation), input, [])
    }

    func pool(_ decl: LayerDecl, _ args: LayerArgs, _ input: TensorShape, _ scope: Scope) -> Built? {
        var kind = decl.op == .maxpool ? "max" : decl.op == .avgpool ? "avg" : ""
        if let node = args["kind"], let text = word(node, scope, "'kind'") { kind = text }
        let options = ["max", "avg", "global-avg", "class-token"]
        guard options.contains(kind) else {
            error(
                args["kind"]?.location ?? decl.location,
                "expected a pool kind of 'max', 'avg', 'global-avg' or 'class-token', found '\(kind)'" + Suggestion.hint(for: kind, among: options))
            return nil
        }
        // On tokens: the class token (DeiT) or the mean over tokens.
        if kind == "class-token" {
            guard let (_, c) = requireTokens(input, "pool: class-token", decl.location) else { return nil }
            return (.classTokenPool, .vector(c), [])
        }
        if kind == "global-avg", case .tokens(_, let c) = input { return (.tokenMean, .vector(c), []) }
        guard let (c, h, w) = requireImage(input, "pool", decl.location) else { return nil }
        if kind == "global-avg" { return (.globalAveragePool, .vector(c), []) }
        guard let kernelNode = args["kernel"] else {
            error(decl.location, "missing 'kernel' in '\(kind)' pool")
            return nil
        }
        guard let kernel = int(kernelNode, scope, "'kernel'") else { return nil }
        let stride = optional(args["stride"], default: kernel) { int($0, scope, "'stride'") }
        let padding = optional(args["padding"], default: 0) { int($0, scope, "'padding'") }
        guard let stride, let padding else { return nil }
        guard kernel >= 1, stride >= 1 else {
            error(decl.location, "pool kernel and stride must be at least 1, found kernel \(kernel), stride \(stride)")
            return nil
        }
        guard padding >= 0, padding <= kernel / 2 else {
            error(args["padding"]?.location ?? decl.location, "pool padding must be between 0 and half the kernel (\(kernel / 2)), found \(padding)")
            return nil
        }
        // 2 * padding <= kernel, so only adding the input size can overflow.
        guard let paddedH = Checked.sum([h, 2 * padding]), let paddedW = Checked.sum([w, 2 * padding]) else {
            error(decl.location, "the padded input of the pool (input \(h)x\(w) plus padding \(padding)) overflows 64-bit arithmetic")
            return nil
        }
        guard paddedH >= kernel, paddedW >= kernel else {
            error(decl.location, "pool kernel \(kernel)x\(kernel) is larger than its padded input \(paddedH)x\(paddedW)")
            return nil
        }
        let attrs = LayerOperation.Pool2D(kind: kind == "max" ? .max : .avg, kernel: kernel, stride: stride, padding: padding)
        let outH = (paddedH - kernel) / stride + 1, outW = (paddedW - kernel) / stride + 1
        return (.pool(attrs), .image(channels: c, height: outH, width: outW), [])
    }

    /// Over the channels of a vector, of every token, or (with `pixelwise: true`) of every
    /// pixel of a feature map. Without the flag a feature map is refused: a classifier's
    /// linear after a forgotten pool is the likelier mistake.
    func linear(_ decl: LayerDecl, _ args: LayerArgs, _ input: TensorShape, _ name: String, _ scope: Scope) -> Built? {
        let pixelwise = optional(args["pixelwise"], default: false) { bool($0, scope, "'pixelwise'") }
        guard let pixelwise else { return nil }
        if case .image = input, !pixelwise {
            error(
                decl.location,
                "'linear' expects a feature vector or tokens, found \(input.kindDescription); add 'pool: global-avg' or 'flatten' before it, or 'pixelwise: true' for a linear on every pixel"
            )
            return nil
        }
        guard let outNode = args["out"] else {
            error(decl.location, "missing 'out' in 'linear'")
            return nil
        }
        let bias = optional(args["bias"], default: true) { bool($0, scope, "'bias'") }
        guard let out = int(outNode, scope, "'out'"), let bias else { return nil }
        guard out >= 1 else {
            error(outNode.location, "out must be at least 1, found \(out)")
            return nil
        }
        let output: TensorShape
        switch input {
        case .vector: output = .vector(out)
        case .tokens(let t, _): output = .tokens(count: t, channels: out)
        case .image(_, let h, let w): output = .image(channels: out, height: h, width: w)
        }
        return (.linear(outFeatures: out, bias: bias), output, linearTensors(name, out: out, features: input.channels, bias: bias))
    }
}
