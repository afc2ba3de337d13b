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

    /// `robust-resnet-dw-small` -> `RobustResnetDwSmall`: the model name's ASCII letters and
    /// digits, CamelCased. The result is always a usable class name: `Model` is put in front
    /// when it would be empty or start with a digit, and appended (until it is free) when it
    /// would be a keyword or a type the generated file names (`self` -> `SelfModel`,
    /// `tensor` -> `TensorModel`, `generated-model` -> `GeneratedModelModel`).
    public static func typeName(for model: String) -> String {
        let words = model.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) })
        var name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if name.first?.isLetter != true { name = "Model" + name }
        while reservedTypeNames.contains(name) { name += "Model" }
        return name
    }

    /// Capitalized keywords, the modules and standard-library types a generated file names,
    /// and every public type of ArchcRuntime and what it exports (ArchcKernels, ArchcIR,
    /// ArchcCore): a class with one of these names would not compile or would shadow it.
    /// A test checks the list against those modules' sources.
    static let reservedTypeNames: Set<String> = [
        "Self", "Any", "AnyObject", "Type", "Protocol", "Sendable",
        "Swift", "ArchcIR", "ArchcRuntime", "ArchcKernels", "ArchcCore",
        "Int", "Float", "Double", "Bool", "String", "Array", "Dictionary", "Optional", "Void", "Never", "Error",
        "UnsafeMutableRawPointer", "UnsafeMutablePointer", "UnsafePointer", "UnsafeRawPointer",
        "UnsafeBufferPointer", "UnsafeMutableBufferPointer", "MemoryLayout",
        "AVX512", "Activation", "ActivationQuantization", "ActivationRanges", "AlignedMemory", "AttentionKernel", "BatchOrder",
        "CPUFeatures", "Conv3x3Algorithm", "ConvAttributes", "ConvGeometry", "ConvKernels", "DepthwiseKernel", "Engine",
        "EngineError", "Epilogue", "EpilogueKernel", "ExpandDepthwiseFusion", "ExpandDepthwiseKernel", "FMAPeak",
        "Failure", "Gemm", "GemmBackend", "GemmWeights", "GeneratedBuffers", "GeneratedModel", "GeneratedModelError", "Graph", "IRParser",
        "Int8ConvRows", "Int8Gemm", "Int8Weights", "Interval", "Kernel", "KernelPlan", "MemoryPlan", "Node",
        "NormArithmetic", "OpKind", "OtherKernels", "PackedGemm", "PackedMatrix", "PoolAttributes", "Precision",
        "ProcessMemory", "ScratchSlot", "SeededGenerator", "ShapeError", "ShapeInference", "SourceLocation", "Step", "StepTime",
        "Style", "Tensor", "TensorType", "Tile", "TokenKernels", "ValueID", "Verifier", "WeightInit", "WeightPacking",
        "WeightStore", "WinogradKernel", "WinogradWeights", "WorkerPool",
    ]
}

struct Emission {
    let graph: Graph
    var offsets: [ValueID: Int] = [:]
    var types: [ValueID: TensorType] = [:]
    var arenaBytes = 0
    /// The scratch each dense non-pointwise conv asks its kernel for at batch `n`: asked at
    /// run time, so a file generated against an older kernel library never gets too little.
    var scratchQueries: [String] = []
    var properties: [String] = []
    var loads: [String] = []
    var steps: [String] = []
    /// The expand conv of an expand+dw pair and its epilogue, until the depthwise step prints the call.
    var pendingExpand: (Node, String)?

    init(graph: Graph) { self.graph = graph }

    /// The runtime's kernel and memory plans at batch 1; every value scales with the batch,
    /// so the offsets scale with it too. An expand 1x1 conv and its depthwise conv run as one
    /// step where the runtime fuses them at batch 1 (a wide map big enough at one image is
    /// bigger at any batch); the memory plan keeps the expand's input alive for that step.
    mutating func plan() {
        let kernels = KernelPlan(graph, fusion: .auto)
        let plan = MemoryPlan(graph: graph, batch: 1, extraReads: kernels.extraReads, inPlace: kernels.inPlaceResiduals)
        offsets = plan.offsets
        types = graph.valueTypes()
        arenaBytes = plan.arenaBytes
        for step in kernels.steps { emit(step) }
    }

    func v(_ value: ValueID) -> String { "v(\(offsets[value]!))" }

    func dims(_ name: String) -> [Int] { graph.constants[name]!.dims }

    func literal(_ name: String) -> String { SwiftSourceText.stringLiteral(name) }

    /// A name as it may appear in a `//` comment.
    func c(_ name: String) -> String { SwiftSourceText.comment(name) }

    func act(_ a: Activation?) -> String { a.map { ".\($0.rawValue)" } ?? "nil" }

    /// Prints one planned step: properties and loads for its weights, the kernel call.
    mutating func emit(_ step: KernelPlan.Step) {
        let node = step.node, id = node.id
        let input = types[node.inputs[0]]!
        let x = v(node.inputs[0]), y = v(node.id)
        var comment = "// %\(id) \(c(node.name))"
        if let at = node.location { comment += " (\(c(at.description)))" }
        comment += ": \(node.kind.mnemonic) \(input) -> \(node.type) at arena byte \(offsets[node.id]!) x N"
        steps.append(comment)
        switch step.kernel {
        case .depthwise(let g, let e):
            let tail = convTail(node, e), w = dims(node.weights[0])
            properties.append("let w\(id): UnsafePointer<Float>  // \(c(node.weights[0])) \(w), packed per 16-channel block")
            loads.append("w\(id) = store.floats(DepthwiseKernel.pack(\(requireWeight(node.weights[0]))))")
            steps.append("DepthwiseKernel.run(\(geometry(g, node)), x: \(x), weight: w\(id), y: \(y), \(tail), pool: pool)")
        case .grouped(let g, let e):
            let tail = convTail(node, e), w = dims(node.weights[0])
            properties.append("let w\(id): UnsafePointer<Float>  // \(c(node.weights[0])) \(w), as [Cout, kh, kw, Cin/g]")
            loads.append("w\(id) = store.floats(WeightPacking.ohwi(\(requireWeight(node.weights[0]))))")
            steps.append("ConvKernels.grouped(\(geometry(g, node)), x: \(x), weight: w\(id), y: \(y), \(tail), pool: pool)")
        case .pointwise(let g, let e):
            let tail = convTail(node, e)
            gemmWeight(node, g)
            if e.residual && offsets[node.id] == offsets[node.inputs[1]] {
                loads.append("try requireInPlace(k: \(g.inC), \(literal(node.name)))  // its output takes its residual's bytes")
            }
            steps.append("ConvKernels.pointwise(\(geometry(g, node)), x: \(x), weight: w\(id), y: \(y), \(tail), pool: pool)")
        case .im2col(let g, let e):
            let tail = convTail(node, e)
            gemmWeight(node, g)
            scratchQueries.append("ConvKernels.scratchFloats(\(geometry(g, node)), backend: .packed)")
            steps.append("ConvKernels.im2col(\(geometry(g, node)), x: \(x), weight: w\(id), y: \(y), \(tail), scratch: scratch, pool: pool)")
        case .winograd(let g, let e, let tile):
            let tail = convTail(node, e), w = dims(node.weights[0])
            properties.append(
                "let w\(id): WinogradWeights  // \(c(node.weights[0])) \(w), as \(tile.points) packed GEMMs [\(g.outC), \(g.inC)] (\(tile.rawValue))")
            loads.append("w\(id) = store.winograd(\(requireWeight(node.weights[0])), tile: .\(tile.rawValue))")
            scratchQueries.append("WinogradKernel.scratchFloats(\(geometry(g, node)), tile: .\(tile.rawValue))")
            steps.append("WinogradKernel.run(\(geometry(g, node)), x: \(x), weight: w\(id), y: \(y), \(tail), scratch: scratch, pool: pool)")
        case .batchNorm(let rows, let channels, let eps, let affine):
            let w = node.weights.map(requireWeight).joined(separator: ", ")
            properties.append("let s\(id): UnsafePointer<Float>, t\(id): UnsafePointer<Float>")
            loads.append(
                "(s\(id), t\(id)) = { let (s, t) = NormArithmetic.batchNormScaleShift([\(w)], eps: \(eps), affine: \(affine)); return (store.floats(s), store.floats(t)) }()"
            )
            steps.append("OtherKernels.channelAffine(rows: n * \(rows), channels: \(channels), x: \(x), y: \(y), scale: s\(id), shift: t\(id))")
        case .channelAffine(let rows, let channels, let hasShift):
            properties.append("let s\(id): UnsafePointer<Float>")
            loads.append("s\(id) = store.floats(\(requireWeight(node.weights[0])).data)")
            var shift = "nil"
            if hasShift {
                properties.append("let t\(id): UnsafePointer<Float>")
                loads.append("t\(id) = store.floats(\(requireWeight(node.weights[1])).data)")
                shift = "t\(id)"
            }
            steps.append("OtherKernels.channelAffine(rows: n * \(rows), channels: \(channels), x: \(x), y: \(y), scale: s\(id), shift: \(shift))")
        case .layerNorm(let rows, let channels, let eps, let affine):
            var args = "weight: nil, bias: nil"
            if affine {
                properties.append("let s\(id): UnsafePointer<Float>, t\(id): UnsafePointer<Float>")
                loads.append("s\(id) = store.floats(\(requireWeight(node.weights[0])).data)")
                loads.append("t\(id) = store.floats(\(requireWeight(node.weights[1])).data)")
                args = "weight: s\(id), bias: t\(id)"
            }
            steps.append("TokenKernels.layerNorm(rows: n * \(rows), channels: \(channels), x: \(x), y: \(y), \(args), eps: \(eps), pool: pool)")
        case .activation(let count, let a):
            steps.append("OtherKernels.activation(count: n * \(count), .\(a.rawValue), x: \(x), y: \(y))")
        case .add(let count):
            steps.append("OtherKernels.add(count: n * \(count), a: \(x), b: \(v(node.inputs[1])), y: \(y))")
        case .pool(let g, let isMax):
            steps.append("OtherKernels.pool(\(geometry(g, node)), isMax: \(isMax), x: \(x), y: \(y), pool: pool)")
        case .globalAvgPool(let pixels, let channels):
            steps.append("OtherKernels.globalAvgPool(batch: n, pixels: \(pixels), channels: \(channels), x: \(x), y: \(y))")
        case .flattenMap(let channels, let pixels):
            steps.append("OtherKernels.transpose(batch: n, channels: \(channels), pixels: \(pixels), x: \(x), y: \(y), toNHWC: false)")
        case .copy(let count):
            steps.append("\(y).update(from: \(x), count: n * \(count))")
        case .linear(let rows, let features, let outputs, let e):
            let w = dims(node.weights[0])
            properties.append("let w\(id): GemmWeights  // \(c(node.weights[0])) \(w)")
            loads.append("w\(id) = store.gemm(\(requireWeight(node.weights[0])).data, n: \(outputs), k: \(features))")
            let bias = optionalBias(node)
            let residual = e.residual ? "UnsafePointer(\(v(node.inputs[1])))" : "nil"
            let epilogue = "EpilogueKernel(bias: \(bias), activation: \(act(e.activation)), postActivation: \(act(e.postActivation)))"
            // M = every position: the batch for a vector, batch x T for tokens, batch x H x W for a map.
            let m = rows == 1 ? "n" : "n * \(rows)"
            steps.append("w\(id).multiply(m: \(m), a: \(x), c: \(y), epilogue: \(epilogue), residual: \(residual), pool: pool)")
        case .prependToken(let t, let channels):
            constantWeight(node, "k")
            steps.append("TokenKernels.prependToken(batch: n, tokens: \(t), channels: \(channels), x: \(x), token: k\(id), y: \(y))")
        case .addConstant(let count):
            constantWeight(node, "k")
            steps.append("TokenKernels.addConstant(batch: n, count: \(count), x: \(x), constant: k\(id), y: \(y))")
        case .attention(let t, let channels, let heads):
            steps.append("AttentionKernel.run(batch: n, tokens: \(t), channels: \(channels), heads: \(heads), x: \(x), y: \(y), pool: pool)")
        case .selectToken(let t, let channels, let index):
            steps.append("TokenKernels.selectToken(batch: n, tokens: \(t), channels: \(channels), index: \(index), x: \(x), y: \(y))")
        case .fusedExpand(let g, let e):
            // Its weights now; the call is the depthwise step's, which reads this conv's input.
            gemmWeight(node, g)
            pendingExpand = (node, convEpilogue(node, e))
            steps.append("// (runs inside the next step)")
        case .expandDepthwise(let eg, _, let g, let e):
            guard let (expand, expandEpilogue) = pendingExpand else { preconditionFailure("an expand+dw step without its expand step") }
            pendingExpand = nil
            let tail = convTail(node, e), w = dims(node.weights[0])
            properties.append("let w\(id): UnsafePointer<Float>  // \(c(node.weights[0])) \(w), packed per 16-channel block")
            loads.append("w\(id) = store.floats(DepthwiseKernel.pack(\(requireWeight(node.weights[0]))))")
            steps.append(
                "ExpandDepthwiseKernel.run(expand: \(geometry(eg, expand)), x: \(v(expand.inputs[0])), expandWeight: w\(expand.id), "
                    + "expandEpilogue: \(expandEpilogue), depthwise: \(geometry(g, node)), weight: w\(id), y: \(y), \(tail), pool: pool)")
        case .tokenMean(let t, let channels):
            steps.append("TokenKernels.tokenMean(batch: n, tokens: \(t), channels: \(channels), x: \(x), y: \(y))")
        }
    }

    /// A weight the kernel reads as stored, as property `<prefix><id>`.
    mutating func constantWeight(_ node: Node, _ prefix: String) {
        properties.append("let \(prefix)\(node.id): UnsafePointer<Float>  // \(c(node.weights[0])) \(dims(node.weights[0]))")
        loads.append("\(prefix)\(node.id) = store.floats(\(requireWeight(node.weights[0])).data)")
    }

    /// `try requireWeight(weights, "name", [dims])`: a weight checked by name and shape at load.
    func requireWeight(_ name: String) -> String { "try requireWeight(weights, \(literal(name)), \(dims(name)))" }

    /// A planned conv or pool geometry as a literal at batch `n`, with the node's own padding
    /// (the geometry keeps only the top and left sides).
    func geometry(_ g: ConvGeometry, _ node: Node) -> String {
        let padding: [Int], weightDims: [Int]
        switch node.kind {
        case .conv2d(let a, _): (padding, weightDims) = (a.padding, dims(node.weights[0]))
        case .maxPool(let p), .avgPool(let p): (padding, weightDims) = (Array(repeating: p.padding, count: 4), [1, 1, g.kh, g.kw])
        default: preconditionFailure("\(node.kind.mnemonic) has no window geometry")
        }
        return
            "ConvGeometry(batch: n, input: TensorType(\(intList([g.inC, g.inH, g.inW]))), output: TensorType(\(intList([g.outC, g.outH, g.outW]))), "
            + "weightDims: \(intList(weightDims)), ConvAttributes(stride: \(intList([g.strideH, g.strideW])), padding: \(intList(padding)), "
            + "dilation: \(intList([g.dilationH, g.dilationW])), groups: \(g.groups)))"
    }

    /// A dense conv's weights, packed as a GEMM [Cout, kh * kw * Cin].
    mutating func gemmWeight(_ node: Node, _ g: ConvGeometry) {
        properties.append("let w\(node.id): GemmWeights  // \(c(node.weights[0])) \(dims(node.weights[0])), as a packed GEMM [\(g.outC), \(g.k)]")
        loads.append("w\(node.id) = store.gemm(WeightPacking.ohwi(\(requireWeight(node.weights[0]))), n: \(g.outC), k: \(g.k))")
    }

    /// The bias property (declared and loaded here) or `nil`.
    mutating func optionalBias(_ node: Node) -> String {
        guard node.weights.count > 1 else { return "nil" }
        properties.append("let b\(node.id): UnsafePointer<Float>  // \(c(node.weights[1])) \(dims(node.weights[1]))")
        loads.append("b\(node.id) = store.floats(\(requireWeight(node.weights[1])).data)")
        return "b\(node.id)"
    }

    /// `residual: ..., epilogue: EpilogueKernel(...)` of a conv call.
    mutating func convTail(_ node: Node, _ e: Epilogue) -> String {
        let residual = e.residual ? "UnsafePointer(\(v(node.inputs[1])))" : "nil"
        return "residual: \(residual), epilogue: \(convEpilogue(node, e))"
    }

    /// `EpilogueKernel(...)` of a conv call (its bias declared and loaded here).
    mutating func convEpilogue(_ node: Node, _ e: Epilogue) -> String {
        "EpilogueKernel(bias: \(optionalBias(node)), activation: \(act(e.activation)), postActivation: \(act(e.postActivation)))"
    }

    func render(network: Network, typeName: String, command: String) -> String {
        let output = graph.type(of: graph.output)!
        let convs = graph.nodes.filter { if case .conv2d = $0.kind { return true } else { return false } }.count
        var lines = [
            "// GENERATED BY archc \(SwiftEmitter.version): DO NOT EDIT.",
            "// model \(c(network.name)) from \(c(network.file)): \(Format.grouped(network.params)) parameters, \(Format.grouped(network.macs)) MACs (fvcore).",
            "// graph hash \(graphHash(graph)) (the optimized IR this file was generated from).",
            "// regenerate: \(c(command))",
            "",
            "import ArchcIR",
            "import ArchcRuntime",
            "",
            "/// \(c(network.name)), compiled: \(graph.nodes.count) steps (\(convs) fused convs), activations in one arena planned",
            "/// at compile time (\(Format.bytes(arenaBytes)) per image).",
            "public final class \(typeName): GeneratedModel {",
            "    public static let graphHash = \"\(graphHash(graph))\"",
            "    public static let specPath = \(literal(network.file))",
            "    public static let inputShape = \(graph.inputType.dims)",
            "    /// Activation bytes per image; value offsets below are per image and scale with the batch.",
            "    static let arenaBytesPerImage = \(arenaBytes)",
            "",
            "    let pool: WorkerPool",
            "    let store = WeightStore()",
            "    let buffers = GeneratedBuffers()",
        ]
        lines += properties.map { "    " + $0 }
        lines += [
            "",
            "    public init(weights: [String: Tensor], threads: Int) throws {",
            "        try CPUFeatures.require()",
            "        pool = WorkerPool(threads: threads)",
        ]
        lines += loads.map { "        " + $0 }
        lines += [
            "    }",
            "",
            "    /// Scratch floats at batch `n`: the most any dense non-pointwise conv's kernel asks for",
            "    /// (a padded input copy, im2col rows, Winograd's transformed tiles).",
            "    static func scratchFloats(batch n: Int) -> Int {",
            scratchQueries.isEmpty
                ? "        1" : "        [\n" + scratchQueries.map { "            " + $0 }.joined(separator: ",\n") + "\n        ].reduce(1, max)",
            "    }",
            "",
            "    public func predict(_ input: Tensor) throws -> Tensor {",
            "        try requireInput(input, Self.inputShape)",
            "        let n = input.dims[0]",
            "        // The arena and scratch stay allocated between calls of the same batch.",
            "        return try buffers.with(batch: n, arenaBytesPerImage: Self.arenaBytesPerImage, scratchFloats: Self.scratchFloats(batch: n)) { arena, scratch in",
            "            func v(_ offset: Int) -> UnsafeMutablePointer<Float> { (arena + offset * n).assumingMemoryBound(to: Float.self) }",
            "            _ = scratch",
            "            input.data.withUnsafeBufferPointer { x in",
            "                OtherKernels.transpose(batch: n, channels: \(graph.inputType.channels), pixels: \(graph.inputType.elements / graph.inputType.channels), x: x.baseAddress!, y: \(v(Graph.inputID)), toNHWC: true)",
            "            }",
        ]
        lines += steps.map { "            " + $0 }
        lines += [
            "            var out = Tensor(zeros: [n] + \(output.dims))",
            "            out.data.withUnsafeMutableBufferPointer { y in",
            output.isImage
                ? "                OtherKernels.transpose(batch: n, channels: \(output.channels), pixels: \(output.elements / output.channels), x: \(v(graph.output)), y: y.baseAddress!, toNHWC: false)"
                : "                y.baseAddress!.update(from: \(v(graph.output)), count: y.count)",
            "            }",
            "            return out",
            "        }",
            "    }",
            "}",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
