import ArchcIR
import ArchcRuntime
import ArchcSpec

/// Writes an optimized graph as Swift source: one class per model whose `predict` calls the
/// runtime's kernels in order, with every shape a literal, the activation memory plan baked
/// in as byte offsets, and weights packed once in `init`. The file depends on ArchcRuntime's
/// kernels and ArchcIR's `Tensor` only: the same kernels the runtime measures, so a
/// generated model runs exactly as fast and computes exactly the same numbers.
public enum SwiftEmitter {
    public static let version = "0.1.0"

    /// `typeName` is the Swift class name; `command` is how to regenerate the file.
    public static func emit(_ graph: Graph, network: Network, typeName: String, command: String) -> String {
        var e = Emission(graph: graph)
        e.plan()
        return e.render(network: network, typeName: typeName, command: command)
    }

    /// `robust-resnet-dw-small` -> `RobustResnetDwSmall`.
    public static func typeName(for model: String) -> String {
        let words = model.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        let name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return name.first?.isNumber == true ? "Model" + name : name
    }
}

struct Emission {
    let graph: Graph
    var offsets: [ValueID: Int] = [:]
    var arenaBytes = 0
    var scratchFloats = 0
    var properties: [String] = []
    var loads: [String] = []
    var steps: [String] = []

    init(graph: Graph) { self.graph = graph }

    /// The runtime's memory plan at batch 1; every value scales with the batch, so the
    /// offsets scale with it too.
    mutating func plan() {
        let plan = MemoryPlan(graph: graph, batch: 1)
        offsets = plan.offsets
        arenaBytes = plan.arenaBytes
        for node in graph.nodes { emit(node) }
    }

    func v(_ value: ValueID) -> String { "v(\(offsets[value]!))" }

    func dims(_ name: String) -> [Int] { graph.constants[name]!.dims }

    func literal(_ name: String) -> String { SwiftSourceText.stringLiteral(name) }

    /// A name as it may appear in a `//` comment.
    func c(_ name: String) -> String { SwiftSourceText.comment(name) }

    func act(_ a: Activation?) -> String { a.map { ".\($0.rawValue)" } ?? "nil" }

    mutating func emit(_ node: Node) {
        let id = node.id
        let input = graph.type(of: node.inputs[0])!
        let x = v(node.inputs[0]), y = v(node.id)
        let rows = input.elements / input.channels
        var comment = "// %\(id) \(c(node.name))"
        if let at = node.location { comment += " (\(c(at.description)))" }
        comment += ": \(node.kind.mnemonic) \(input) -> \(node.type) at arena byte \(offsets[node.id]!) x N"
        steps.append(comment)
        switch node.kind {
        case .conv2d(let a, let epilogue):
            let w = dims(node.weights[0])
            let geometry =
                "ConvGeometry(batch: n, input: TensorType(\(input.dims)), output: TensorType(\(node.type.dims)), weightDims: \(w), "
                + "ConvAttributes(stride: \(a.stride), padding: \(a.padding), dilation: \(a.dilation), groups: \(a.groups)))"
            let g = ConvGeometry(batch: 1, input: input, output: node.type, weightDims: w, a)
            let bias: String
            if node.weights.count > 1 {
                properties.append("let b\(id): UnsafePointer<Float>  // \(c(node.weights[1])) \(dims(node.weights[1]))")
                loads.append("b\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[1])), \(dims(node.weights[1]))).data)")
                bias = "b\(id)"
            } else {
                bias = "nil"
            }
            let epilogueText = "EpilogueKernel(bias: \(bias), activation: \(act(epilogue.activation)), postActivation: \(act(epilogue.postActivation)))"
            let residual = epilogue.residual ? "UnsafePointer(\(v(node.inputs[1])))" : "nil"
            let weight = "try requireWeight(weights, \(literal(node.weights[0])), \(w))"
            if g.isDepthwise {
                properties.append("let w\(id): UnsafePointer<Float>  // \(c(node.weights[0])) \(w), packed per 16-channel block")
                loads.append("w\(id) = store.floats(DepthwiseKernel.pack(\(weight)))")
                steps.append("DepthwiseKernel.run(\(geometry), x: \(x), weight: w\(id), y: \(y), residual: \(residual), epilogue: \(epilogueText), pool: pool)")
            } else if g.groups != 1 {
                properties.append("let w\(id): UnsafePointer<Float>  // \(c(node.weights[0])) \(w), as [Cout, kh, kw, Cin/g]")
                loads.append("w\(id) = store.floats(WeightPacking.ohwi(\(weight)))")
                steps.append("ConvKernels.grouped(\(geometry), x: \(x), weight: w\(id), y: \(y), residual: \(residual), epilogue: \(epilogueText), pool: pool)")
            } else {
                properties.append("let w\(id): GemmWeights  // \(c(node.weights[0])) \(w), as a packed GEMM [\(g.outC), \(g.k)]")
                loads.append("w\(id) = store.gemm(WeightPacking.ohwi(\(weight)), n: \(g.outC), k: \(g.k))")
                if g.isPointwise {
                    steps.append(
                        "ConvKernels.pointwise(\(geometry), x: \(x), weight: w\(id), y: \(y), residual: \(residual), epilogue: \(epilogueText), pool: pool)")
                } else {
                    scratchFloats = max(scratchFloats, ConvKernels.scratchFloats(g, backend: .packed))
                    steps.append(
                        "ConvKernels.im2col(\(geometry), x: \(x), weight: w\(id), y: \(y), residual: \(residual), epilogue: \(epilogueText), scratch: scratch, pool: pool)"
                    )
                }
            }
        case .batchNorm(let eps, let affine):
            let w = node.weights.map { "try requireWeight(weights, \(literal($0)), \(dims($0)))" }.joined(separator: ", ")
            properties.append("let s\(id): UnsafePointer<Float>, t\(id): UnsafePointer<Float>")
            loads.append(
                "(s\(id), t\(id)) = { let (s, t) = NormArithmetic.batchNormScaleShift([\(w)], eps: \(eps), affine: \(affine)); return (store.floats(s), store.floats(t)) }()"
            )
            steps.append("OtherKernels.channelAffine(rows: n * \(rows), channels: \(input.channels), x: \(x), y: \(y), scale: s\(id), shift: t\(id))")
        case .scaleShift, .channelScale:
            properties.append("let s\(id): UnsafePointer<Float>")
            loads.append("s\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[0])), \(dims(node.weights[0]))).data)")
            var shift = "nil"
            if node.weights.count > 1 {
                properties.append("let t\(id): UnsafePointer<Float>")
                loads.append("t\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[1])), \(dims(node.weights[1]))).data)")
                shift = "t\(id)"
            }
            steps.append("OtherKernels.channelAffine(rows: n * \(rows), channels: \(input.channels), x: \(x), y: \(y), scale: s\(id), shift: \(shift))")
        case .layerNorm(let eps, let affine):
            var args = "weight: nil, bias: nil"
            if affine {
                properties.append("let s\(id): UnsafePointer<Float>, t\(id): UnsafePointer<Float>")
                loads.append("s\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[0])), \(dims(node.weights[0]))).data)")
                loads.append("t\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[1])), \(dims(node.weights[1]))).data)")
                args = "weight: s\(id), bias: t\(id)"
            }
            steps.append("TokenKernels.layerNorm(rows: n * \(rows), channels: \(input.channels), x: \(x), y: \(y), \(args), eps: \(eps), pool: pool)")
        case .activation(let a):
            steps.append("OtherKernels.activation(count: n * \(node.type.elements), .\(a.rawValue), x: \(x), y: \(y))")
        case .add:
            steps.append("OtherKernels.add(count: n * \(node.type.elements), a: \(x), b: \(v(node.inputs[1])), y: \(y))")
        case .maxPool(let p), .avgPool(let p):
            let isMax: Bool
            if case .maxPool = node.kind { isMax = true } else { isMax = false }
            steps.append(
                "OtherKernels.pool(ConvGeometry(batch: n, input: TensorType(\(input.dims)), output: TensorType(\(node.type.dims)), weightDims: [1, 1, \(p.kernel), \(p.kernel)], "
                    + "ConvAttributes(stride: [\(p.stride), \(p.stride)], padding: \(Array(repeating: p.padding, count: 4)), dilation: [1, 1], groups: 1)), isMax: \(isMax), x: \(x), y: \(y), pool: pool)"
            )
        case .globalAvgPool:
            steps.append("OtherKernels.globalAvgPool(batch: n, pixels: \(rows), channels: \(input.channels), x: \(x), y: \(y))")
        case .flatten:
            if input.isImage {
                steps.append("OtherKernels.transpose(batch: n, channels: \(input.channels), pixels: \(rows), x: \(x), y: \(y), toNHWC: false)")
            } else {
                steps.append("\(y).update(from: \(x), count: n * \(input.elements))")
            }
        case .linear(let epilogue):
            let w = dims(node.weights[0])
            properties.append("let w\(id): GemmWeights  // \(c(node.weights[0])) \(w)")
            loads.append("w\(id) = store.gemm(try requireWeight(weights, \(literal(node.weights[0])), \(w)).data, n: \(w[0]), k: \(w[1]))")
            var bias = "nil"
            if node.weights.count > 1 {
                properties.append("let b\(id): UnsafePointer<Float>  // \(c(node.weights[1])) \(dims(node.weights[1]))")
                loads.append("b\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[1])), \(dims(node.weights[1]))).data)")
                bias = "b\(id)"
            }
            let epilogueText = "EpilogueKernel(bias: \(bias), activation: \(act(epilogue.activation)), postActivation: \(act(epilogue.postActivation)))"
            let residual = epilogue.residual ? "UnsafePointer(\(v(node.inputs[1])))" : "nil"
            // M = every position: the batch for a vector, batch x T for tokens, batch x H x W for a map.
            let m = rows == 1 ? "n" : "n * \(rows)"
            steps.append("w\(id).multiply(m: \(m), a: \(x), c: \(y), epilogue: \(epilogueText), residual: \(residual), pool: pool)")
        case .tokens:
            steps.append("\(y).update(from: \(x), count: n * \(input.elements))  // NHWC already holds the pixels as tokens")
        case .prependToken:
            properties.append("let k\(id): UnsafePointer<Float>  // \(node.weights[0]) \(dims(node.weights[0]))")
            loads.append("k\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[0])), \(dims(node.weights[0]))).data)")
            steps.append("TokenKernels.prependToken(batch: n, tokens: \(input.dims[0]), channels: \(input.channels), x: \(x), token: k\(id), y: \(y))")
        case .addConstant:
            properties.append("let k\(id): UnsafePointer<Float>  // \(node.weights[0]) \(dims(node.weights[0]))")
            loads.append("k\(id) = store.floats(try requireWeight(weights, \(literal(node.weights[0])), \(dims(node.weights[0]))).data)")
            steps.append("TokenKernels.addConstant(batch: n, count: \(input.elements), x: \(x), constant: k\(id), y: \(y))")
        case .attention(let heads):
            steps.append(
                "AttentionKernel.run(batch: n, tokens: \(node.type.dims[0]), channels: \(node.type.channels), heads: \(heads), x: \(x), y: \(y), pool: pool)")
        case .selectToken(let index):
            steps.append("TokenKernels.selectToken(batch: n, tokens: \(input.dims[0]), channels: \(input.channels), index: \(index), x: \(x), y: \(y))")
        case .tokenMean:
            steps.append("TokenKernels.tokenMean(batch: n, tokens: \(input.dims[0]), channels: \(input.channels), x: \(x), y: \(y))")
        }
    }

    func render(network: Network, typeName: String, command: String) -> String {
        let output = graph.type(of: graph.output)!
        let convs = graph.nodes.filter { if case .conv2d = $0.kind { return true } else { return false } }.count
        var lines = [
            "// GENERATED BY archc \(SwiftEmitter.version): DO NOT EDIT.",
            "// model \(c(network.name)) from \(c(network.file)): \(Format.grouped(network.params)) parameters, \(Format.grouped(network.macs)) MACs (fvcore).",
            "// graph hash \(graphHash(graph.text)) (the optimized IR this file was generated from).",
            "// regenerate: \(c(command))",
            "",
            "import ArchcIR",
            "import ArchcRuntime",
            "",
            "/// \(c(network.name)), compiled: \(graph.nodes.count) steps (\(convs) fused convs), activations in one arena planned",
            "/// at compile time (\(Format.bytes(arenaBytes)) per image).",
            "public final class \(typeName): GeneratedModel {",
            "    public static let graphHash = \"\(graphHash(graph.text))\"",
            "    public static let specPath = \(literal(network.file))",
            "    public static let inputShape = \(graph.inputType.dims)",
            "    /// Activation bytes per image; value offsets below are per image and scale with the batch.",
            "    static let arenaBytesPerImage = \(arenaBytes)",
            "    /// Scratch floats per image: the largest any dense non-pointwise conv asks for (a padded input copy or im2col rows).",
            "    static let scratchFloatsPerImage = \(scratchFloats)",
            "",
            "    let pool: WorkerPool",
            "    let store = WeightStore()",
        ]
        lines += properties.map { "    " + $0 }
        lines += [
            "",
            "    public init(weights: [String: Tensor], threads: Int) throws {",
            "        pool = WorkerPool(threads: threads)",
        ]
        lines += loads.map { "        " + $0 }
        lines += [
            "    }",
            "",
            "    public func predict(_ input: Tensor) -> Tensor {",
            "        precondition(Array(input.dims.dropFirst()) == Self.inputShape, \"input \\(input.dims) does not match \\(Self.inputShape)\")",
            "        let n = input.dims[0]",
            "        let arena = UnsafeMutableRawPointer.allocate(byteCount: max(64, Self.arenaBytesPerImage * n), alignment: 64)",
            "        defer { arena.deallocate() }",
            "        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, Self.scratchFloatsPerImage * n))",
            "        defer { scratch.deallocate() }",
            "        func v(_ offset: Int) -> UnsafeMutablePointer<Float> { (arena + offset * n).assumingMemoryBound(to: Float.self) }",
            "        _ = scratch",
            "        input.data.withUnsafeBufferPointer { x in",
            "            OtherKernels.transpose(batch: n, channels: \(graph.inputType.channels), pixels: \(graph.inputType.elements / graph.inputType.channels), x: x.baseAddress!, y: \(v(Graph.inputID)), toNHWC: true)",
            "        }",
        ]
        lines += steps.map { "        " + $0 }
        lines += [
            "        var out = Tensor(zeros: [n] + \(output.dims))",
            "        out.data.withUnsafeMutableBufferPointer { y in",
            output.isImage
                ? "            OtherKernels.transpose(batch: n, channels: \(output.channels), pixels: \(output.elements / output.channels), x: \(v(graph.output)), y: y.baseAddress!, toNHWC: false)"
                : "            y.baseAddress!.update(from: \(v(graph.output)), count: y.count)",
            "        }",
            "        return out",
            "    }",
            "}",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
