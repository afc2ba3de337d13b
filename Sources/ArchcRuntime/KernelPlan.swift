import ArchcIR

/// Which kernel runs each node of an optimized graph, with its geometry per image: decided
/// once, here, and read by the engine (which executes the calls) and by the Swift emitter
/// (which prints them). A new op needs one entry here, and its execution and its printing.
public struct KernelPlan {
    /// One node's kernel call.
    public struct Step {
        public let node: Node
        public let kernel: Kernel
        /// The layer kind a profile reports it under: stem, pointwise, depthwise, conv
        /// (im2col), expand+dw (a fused pair, counted on the depthwise step), head or other.
        public let kind: String
        /// Floating-point operations per image.
        public let flopsPerImage: Int
    }

    /// A kernel and the sizes it runs on, per image (counts and rows scale with the batch;
    /// geometries carry batch 1).
    public enum Kernel {
        /// One group per input channel: `DepthwiseKernel.run`, weights `DepthwiseKernel.pack`.
        case depthwise(ConvGeometry, Epilogue)
        /// 1x1, stride 1, unpadded, one group: the packed GEMM on the activation as stored
        /// (`ConvKernels.pointwise`, weights `WeightPacking.ohwi` as a GEMM [Cout, Cin]).
        case pointwise(ConvGeometry, Epilogue)
        /// Any other one-group conv: an implicit im2col GEMM (`ConvKernels.im2col`, weights
        /// as a GEMM [Cout, kh * kw * Cin], scratch from `ConvKernels.scratchFloats`).
        case im2col(ConvGeometry, Epilogue)
        /// A 3x3 one-group conv by Winograd: F(4x4, 3x3) or F(2x2, 3x3) at stride 1, F(2x2, 3x3)
        /// by phases at stride 2 (the tile; `WinogradKernel.run`, weights
        /// `WeightStore.winograd`, scratch from `WinogradKernel.scratchFloats`), where
        /// `Conv3x3Algorithm` chooses it.
        case winograd(ConvGeometry, Epilogue, WinogradKernel.Tile)
        /// An expand 1x1 conv fused into the depthwise conv right after it (`expandDepthwise`):
        /// its step runs nothing (its output is never written); `Engine.runAll` runs it as
        /// `.pointwise` for the value it returns.
        case fusedExpand(ConvGeometry, Epilogue)
        /// A depthwise conv that computes its input band by band from the expand 1x1 conv just
        /// before it, the only reader of that conv's output (`ExpandDepthwiseKernel.run`; weights
        /// as for `.pointwise` and `.depthwise`).
        case expandDepthwise(expand: ConvGeometry, Epilogue, depthwise: ConvGeometry, Epilogue)
        /// Grouped, not depthwise: `ConvKernels.grouped`, weights `WeightPacking.ohwi`.
        case grouped(ConvGeometry, Epilogue)
        /// BatchNorm left unfolded: its four vectors become a scale and a shift
        /// (`NormArithmetic.batchNormScaleShift`), then `OtherKernels.channelAffine`.
        case batchNorm(rows: Int, channels: Int, eps: Float, affine: Bool)
        /// `scale_shift` (shift: true) or `channel_scale`: `OtherKernels.channelAffine`.
        case channelAffine(rows: Int, channels: Int, shift: Bool)
        case layerNorm(rows: Int, channels: Int, eps: Float, affine: Bool)
        case activation(count: Int, Activation)
        case add(count: Int)
        /// Max or average pooling as a conv-shaped window (`OtherKernels.pool`).
        case pool(ConvGeometry, isMax: Bool)
        case globalAvgPool(pixels: Int, channels: Int)
        /// Flatten of a feature map: NHWC back to NCHW order (`OtherKernels.transpose`).
        case flattenMap(channels: Int, pixels: Int)
        /// Flatten of a vector: a copy.
        case copy(count: Int)
        /// `y = x W^T + b` at every position (`rows` per image: 1 for a vector, T for tokens,
        /// H * W for a map) through the packed GEMM (weights as stored, [out, in]), with a
        /// fused epilogue.
        case linear(rows: Int, features: Int, outputs: Int, Epilogue)
        /// A learned token in front of the others: `TokenKernels.prependToken`.
        case prependToken(tokens: Int, channels: Int)
        /// A learned constant of the value's shape added (position embedding).
        case addConstant(count: Int)
        /// Multi-head self-attention on fused q, k, v columns: `AttentionKernel.run`.
        case attention(tokens: Int, channels: Int, heads: Int)
        case selectToken(tokens: Int, channels: Int, index: Int)
        case tokenMean(tokens: Int, channels: Int)

        /// The kernel without fusion: what the Swift emitter prints, and what `runAll` runs for
        /// a fused expand.
        public var unfused: Kernel {
            switch self {
            case .fusedExpand(let g, let e): return .pointwise(g, e)
            case .expandDepthwise(_, _, let g, let e): return .depthwise(g, e)
            default: return self
            }
        }
    }

    public let steps: [Step]

    /// The plan of a verified graph: one step per node, in order; `conv3x3` decides which
    /// 3x3 convs (stride 1 and 2) run by Winograd at `batch` (its `auto` rule depends on it). `fusion`
    /// decides which expand 1x1 convs that only feed the depthwise conv after them are fused
    /// into it, never across the end of an image-major prefix of `imageMajorPrefix` nodes
    /// (`BatchOrder`), whose values live in another arena.
    public init(
        _ graph: Graph, conv3x3: Conv3x3Algorithm = .auto, batch: Int = 1, fusion: ExpandDepthwiseFusion = .off, imageMajorPrefix: Int = 0
    ) {
        let types = graph.valueTypes()
        var steps = graph.nodes.map { Self.step(for: $0, input: types[$0.inputs[0]]!, in: graph, conv3x3: conv3x3, batch: batch) }
        if fusion != .off { Self.fuseExpandDepthwise(&steps, graph, fusion, batch: batch, prefix: imageMajorPrefix) }
        self.steps = steps
    }

    /// Values that a fused step reads beyond its node's inputs, with the step's index: a
    /// fused depthwise reads its expand's input (what the memory plan must keep alive).
    public var extraReads: [(value: ValueID, step: Int)] {
        steps.indices.compactMap { i in
            if case .expandDepthwise = steps[i].kernel { return (steps[i - 1].node.inputs[0], i) }
            return nil
        }
    }

    /// 1x1 convs whose output may take the memory of their residual input, where the memory
    /// plan finds the residual read there for the last time (`MemoryPlan`): on the packed GEMM
    /// at one depth block (`PackedGemm.storesOnce`), each element of the output is stored once,
    /// right after its residual element is read, so the bottleneck blocks' last conv reads and
    /// writes one map instead of two (as ONNX Runtime's Conv with a fused Sum does).
    public var inPlaceResiduals: [(output: ValueID, residual: ValueID)] {
        steps.compactMap { step in
            // Not when the conv's input is its residual too: other tiles still read those rows.
            guard case .pointwise(let g, let e) = step.kernel, e.residual, PackedGemm.storesOnce(k: g.inC),
                step.node.inputs[0] != step.node.inputs[1]
            else { return nil }
            return (step.node.id, step.node.inputs[1])
        }
    }

    /// Pairs (expand 1x1 conv, depthwise conv) of consecutive steps become
    /// (`fusedExpand`, `expandDepthwise`).
    static func fuseExpandDepthwise(_ steps: inout [Step], _ graph: Graph, _ fusion: ExpandDepthwiseFusion, batch: Int, prefix: Int) {
        var readers: [ValueID: Int] = [:]
        for node in graph.nodes { for input in node.inputs { readers[input, default: 0] += 1 } }
        for i in steps.indices.dropFirst() where (i - 1 < prefix) == (i < prefix) {
            let expand = steps[i - 1], depthwise = steps[i]
            guard case .pointwise(let eg, let ee) = expand.kernel, !ee.residual, case .depthwise(let g, let e) = depthwise.kernel,
                depthwise.node.inputs[0] == expand.node.id, readers[expand.node.id] == 1, graph.output != expand.node.id,
                fusion.fuses(expand: eg, depthwise: g, batch: i < prefix ? 1 : batch)
            else { continue }
            steps[i - 1] = Step(node: expand.node, kernel: .fusedExpand(eg, ee), kind: "expand+dw", flopsPerImage: 0)
            steps[i] = Step(
                node: depthwise.node, kernel: .expandDepthwise(expand: eg, ee, depthwise: g, e), kind: "expand+dw",
                flopsPerImage: expand.flopsPerImage + depthwise.flopsPerImage)
        }
    }

    static func step(for node: Node, input: TensorType, in graph: Graph, conv3x3: Conv3x3Algorithm, batch: Int) -> Step {
        let rows = input.elements / input.channels  // pixels per image (1 for a vector)
        let elementwise = node.type.elements
        switch node.kind {
        case .conv2d(let attrs, let epilogue):
            let g = ConvGeometry(batch: 1, input: input, output: node.type, weightDims: graph.constants[node.weights[0]]!.dims, attrs)
            let flops = 2 * g.m * g.outC * (g.inC / g.groups) * g.kh * g.kw
            let stem = node.inputs[0] == Graph.inputID
            if g.isDepthwise { return Step(node: node, kernel: .depthwise(g, epilogue), kind: stem ? "stem" : "depthwise", flopsPerImage: flops) }
            if g.groups != 1 { return Step(node: node, kernel: .grouped(g, epilogue), kind: stem ? "stem" : "conv (grouped)", flopsPerImage: flops) }
            if g.isPointwise { return Step(node: node, kernel: .pointwise(g, epilogue), kind: stem ? "stem" : "pointwise", flopsPerImage: flops) }
            var atBatch = g
            atBatch.batch = batch
            if let tile = conv3x3.winogradTile(atBatch) {
                let kind = tile == .f4x4 ? "winograd 3x3" : tile == .f2x2 ? "winograd2 3x3" : "winograd2 3x3/2"
                return Step(node: node, kernel: .winograd(g, epilogue, tile), kind: kind, flopsPerImage: flops)
            }
            return Step(node: node, kernel: .im2col(g, epilogue), kind: stem ? "stem" : "conv (im2col)", flopsPerImage: flops)
        case .batchNorm(let eps, let affine):
            return other(node, .batchNorm(rows: rows, channels: input.channels, eps: eps, affine: affine), elementwise)
        case .scaleShift:
            return other(node, .channelAffine(rows: rows, channels: input.channels, shift: true), elementwise)
        case .channelScale:
            return other(node, .channelAffine(rows: rows, channels: input.channels, shift: false), elementwise)
        case .layerNorm(let eps, let affine):
            return other(node, .layerNorm(rows: rows, channels: input.channels, eps: eps, affine: affine), elementwise)
        case .activation(let act):
            return other(node, .activation(count: elementwise, act), elementwise)
        case .add:
            return other(node, .add(count: elementwise), elementwise)
        case .maxPool(let p), .avgPool(let p):
            let attrs = ConvAttributes(stride: [p.stride, p.stride], padding: Array(repeating: p.padding, count: 4), dilation: [1, 1], groups: 1)
            let g = ConvGeometry(batch: 1, input: input, output: node.type, weightDims: [1, 1, p.kernel, p.kernel], attrs)
            let isMax: Bool
            if case .maxPool = node.kind { isMax = true } else { isMax = false }
            return other(node, .pool(g, isMax: isMax), elementwise)
        case .globalAvgPool:
            return Step(node: node, kernel: .globalAvgPool(pixels: rows, channels: input.channels), kind: "head", flopsPerImage: input.elements)
        case .flatten:
            let kernel: Kernel = input.isImage ? .flattenMap(channels: input.channels, pixels: rows) : .copy(count: input.elements)
            return other(node, kernel, elementwise)
        case .linear(let epilogue):
            let (features, outputs) = (input.channels, node.type.channels)
            let kernel = Kernel.linear(rows: rows, features: features, outputs: outputs, epilogue)
            return Step(node: node, kernel: kernel, kind: input.dims.count == 1 ? "head" : "linear", flopsPerImage: 2 * rows * features * outputs)
        case .tokens:
            // NHWC already holds the pixels as tokens, row by row.
            return other(node, .copy(count: input.elements), elementwise)
        case .prependToken:
            return other(node, .prependToken(tokens: input.dims[0], channels: input.channels), elementwise)
        case .addConstant:
            return other(node, .addConstant(count: input.elements), elementwise)
        case .attention(let heads):
            let (t, c) = (node.type.dims[0], node.type.channels)
            let kernel = Kernel.attention(tokens: t, channels: c, heads: heads)
            return Step(node: node, kernel: kernel, kind: "attention", flopsPerImage: 2 * 2 * heads * t * t * (c / heads))
        case .selectToken(let index):
            return other(node, .selectToken(tokens: input.dims[0], channels: input.channels, index: index), elementwise)
        case .tokenMean:
            return other(node, .tokenMean(tokens: input.dims[0], channels: input.channels), input.elements)
        }
    }

    private static func other(_ node: Node, _ kernel: Kernel, _ flops: Int) -> Step {
        Step(node: node, kernel: kernel, kind: "other", flopsPerImage: flops)
    }
}
