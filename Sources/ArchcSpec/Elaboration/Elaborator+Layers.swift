/// Expanding one layer list (a block body, a shortcut, the stem, the head): each layer's
/// arguments are evaluated, its input checked, its output shape inferred and its tensors named.
extension Elaborator {
    typealias Cursor = (value: Int, shape: TensorShape)

    func elaborateList(
        _ decls: [LayerDecl], from start: Cursor, prefix: String, display: String, scope: Scope,
        section: Layer.Section, block: String?
    ) -> Cursor {
        elaborateSequence(decls, from: start, prefix: prefix, display: display, scope: scope, section: section, block: block).cursor
    }

    /// The list's output, and whether every layer of it was elaborated.
    func elaborateSequence(
        _ decls: [LayerDecl], from start: Cursor, prefix: String, display: String, scope: Scope,
        section: Layer.Section, block: String?
    ) -> (cursor: Cursor, complete: Bool) {
        var cursor = start
        for (index, decl) in decls.enumerated() where !aborted {
            let site = Site(prefix: prefix, display: display, index: index, section: section, block: block)
            // After a layer fails, the shapes below it are guesses: stop here rather than
            // report errors that only echo the first one.
            guard let next = elaborateLayer(decl, from: cursor, site: site, scope: scope) else { return (cursor, false) }
            cursor = next
        }
        return (cursor, !aborted)
    }

    /// Where a layer sits: how to name it and which subtotal it joins.
    struct Site {
        var prefix: String
        var display: String
        var index: Int
        var section: Layer.Section
        var block: String?
    }

    private func elaborateLayer(_ decl: LayerDecl, from input: Cursor, site: Site, scope: Scope) -> Cursor? {
        let args = LayerArgs(decl: decl)
        var name = site.display.isEmpty ? "\(decl.op.rawValue)#\(site.index)" : "\(site.display).\(decl.op.rawValue)#\(site.index)"
        if decl.hasTensors {
            var local = decl.defaultName ?? String(site.index)
            if let node = args["name"], let text = word(node, scope, "'name'") {
                guard NameCheck.check(text, "layer name", at: node.location, diagnostics) else { return nil }
                local = text
            }
            name = site.prefix.isEmpty ? local : "\(site.prefix).\(local)"
        }
        let built: (LayerOperation, TensorShape, [Layer.Tensor])?
        switch decl.op {
        // Ops that add several layers, or none, return their own cursor.
        case .attention: return attention(decl, args, from: input, name: name, site: site, scope: scope)
        case .residual: return residual(decl, from: input, name: name, site: site, scope: scope)
        case .dropout, .dropPath: return inferenceNoOp(decl, args, from: input, scope)
        case .tokens: built = tokens(decl, input.shape)
        case .clsToken: built = classToken(decl, input.shape, name)
        case .posEmbed: built = positionEmbedding(decl, input.shape, name)
        case .conv, .dwconv: built = conv(decl, args, input.shape, name, scope)
        case .norm, .batchnorm, .layernorm: built = norm(decl, args, input.shape, name, scope)
        case .act, .relu, .relu6, .gelu: built = activation(decl, args, input.shape, scope)
        case .scale: built = (.scale, input.shape, [.init(name: name, shape: [input.shape.channels], isParameter: true)])
        case .pool, .maxpool, .avgpool: built = pool(decl, args, input.shape, scope)
        case .linear: built = linear(decl, args, input.shape, name, scope)
        case .flatten:
            guard let elements = input.shape.elements else {
                error(decl.location, "flattening \(input.shape) overflows 64-bit arithmetic")
                return nil
            }
            built = (.flatten, .vector(elements), [])
        }
        guard let (operation, output, tensors) = built else { return nil }
        return append(
            name: name, operation, inputs: [input.value], input: input.shape, output: output, tensors: tensors,
            section: site.section, block: site.block, at: decl.location)
    }

    /// Adds a layer, pricing it and checking that its tensor names are new.
    func append(
        name: String, _ operation: LayerOperation, inputs: [Int], input: TensorShape, output: TensorShape,
        tensors: [Layer.Tensor], section: Layer.Section, block: String?, at location: SourceLocation
    ) -> Cursor {
        for tensor in tensors {
            if let first = tensorOwners[tensor.name] {
                error(location, "tensor name '\(tensor.name)' is already used", notes: [.init(location: first, message: "first used here")])
            } else {
                tensorOwners[tensor.name] = location
            }
        }
        var layer = Layer(
            name: name, operation: operation, inputs: inputs, inputShape: input, outputShape: output,
            tensors: tensors, section: section, block: block, location: location)
        guard let cost = CostModel.cost(of: layer) else {
            error(location, "the size of '\(name)' overflows 64-bit arithmetic")
            aborted = true
            return (layers.count - 1, input)
        }
        layer.cost = cost
        layers.append(layer)
        if layers.count > options.maxLayers {
            error(location, "the network has more than \(options.maxLayers) layers; refused")
            aborted = true
        }
        return (layers.count - 1, output)
    }

    func requireImage(_ shape: TensorShape, _ op: String, _ at: SourceLocation) -> (Int, Int, Int)? {
        if case .image(let c, let h, let w) = shape { return (c, h, w) }
        let hint = if case .tokens = shape { "; feature-map layers cannot follow 'tokens'" } else { "" }
        error(at, "'\(op)' expects a feature map [C, H, W], found \(shape.kindDescription)\(hint)")
        return nil
    }

    func requireTokens(_ shape: TensorShape, _ op: String, _ at: SourceLocation) -> (count: Int, channels: Int)? {
        if case .tokens(let t, let c) = shape { return (t, c) }
        let hint = if case .image = shape { "; add 'tokens' before it to flatten the feature map" } else { "" }
        error(at, "'\(op)' expects tokens [T, C], found \(shape.kindDescription)\(hint)")
        return nil
    }

    /// Refuses specs whose weights or largest activation would not fit the memory limit.
    func checkMemory(_ network: Network) {
        let weightElements = Checked.sum(network.tensors.map { Checked.product($0.shape) ?? Int.max }) ?? Int.max
        let weightBytes = weightElements.multipliedReportingOverflow(by: 4)
        if weightBytes.overflow || weightBytes.partialValue > options.maxBytes {
            error(
                spec.location,
                "weights need \(weightBytes.overflow ? "more than 2^63 bytes" : Format.bytes(weightBytes.partialValue)), over the \(Format.bytes(options.maxBytes)) limit (--max-memory)"
            )
        }
        for layer in network.layers {
            let bytes = Checked.product([layer.outputShape.elements ?? Int.max, options.batch, 4])
            if bytes == nil || bytes! > options.maxBytes {
                error(
                    layer.location,
                    "the output of '\(layer.name)' \(layer.outputShape) needs \(bytes.map(Format.bytes) ?? "more than 2^63 bytes") at batch \(options.batch), over the \(Format.bytes(options.maxBytes)) limit (--max-memory)"
                )
                return
            }
            // Attention's scores, heads x T x T, are no layer's output but a naive kernel holds them.
            if case .attention(let a) = layer.operation, case .tokens(let t, _) = layer.outputShape {
                let bytes = Checked.product([a.heads, t, t, options.batch, 4])
                if bytes == nil || bytes! > options.maxBytes {
                    error(
                        layer.location,
                        "the attention scores of '\(layer.name)' [\(a.heads), \(t), \(t)] need \(bytes.map(Format.bytes) ?? "more than 2^63 bytes") at batch \(options.batch), over the \(Format.bytes(options.maxBytes)) limit (--max-memory)"
                    )
                    return
                }
            }
            if let padded = paddedInput(layer), !fits(padded, layer) { return }
        }
    }

    /// The input a conv or pool reads once padded, [C, H + top + bottom, W + left + right]:
    /// kernels pad rows or planes in memory, so a padding of 2^40 on a tiny input (whose
    /// output is one pixel) once asked the runtime for 52 TB.
    private func paddedInput(_ layer: Layer) -> [Int]? {
        guard case .image(let c, let h, let w) = layer.inputShape else { return nil }
        switch layer.operation {
        case .conv(let a):
            return [c, Checked.sum([h, a.padding.top, a.padding.bottom]) ?? Int.max, Checked.sum([w, a.padding.left, a.padding.right]) ?? Int.max]
        case .pool(let p):
            return [c, Checked.sum([h, 2 * p.padding]) ?? Int.max, Checked.sum([w, 2 * p.padding]) ?? Int.max]
        default:
            return nil
        }
    }

    /// False (and reported) when the padded input of `layer` exceeds the memory limit.
    private func fits(_ padded: [Int], _ layer: Layer) -> Bool {
        let bytes = Checked.product(padded + [options.batch, 4])
        guard bytes == nil || bytes! > options.maxBytes else { return true }
        let shape = "[" + padded.map(String.init).joined(separator: ", ") + "]"
        error(
            layer.location,
            "the padded input of '\(layer.name)' \(shape) needs \(bytes.map(Format.bytes) ?? "more than 2^63 bytes") at batch \(options.batch), over the \(Format.bytes(options.maxBytes)) limit (--max-memory)"
        )
        return false
    }
}

/// A layer's argument mapping, looked up by key.
struct LayerArgs {
    let decl: LayerDecl
    subscript(key: String) -> SpecNode? { decl.args?[key] }
}
