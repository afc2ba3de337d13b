import ArchcIR
import Foundation

/// Executes an optimized graph on the CPU: activations NHWC in one arena planned by
/// liveness, weights packed once for their kernels, every step split over a worker pool.
///
/// NHWC because the two kernels that matter want channels innermost: a 1x1 conv is then a
/// plain GEMM on the activation as stored, and the depthwise kernel vectorises across
/// channels (every robust-model width is a multiple of 32).
public final class Engine {
    public let graph: Graph
    public let batch: Int
    public let pool: WorkerPool
    public let plan: MemoryPlan
    /// Bytes of packed weights, im2col scratch and the activation arena.
    public var weightBytes: Int { store.bytes }
    public private(set) var scratchBytes = 0
    public var activationBytes: Int { plan.arenaBytes }
    public var peakBytes: Int { weightBytes + scratchBytes + plan.arenaBytes }

    private let arena: UnsafeMutableRawPointer
    private let store: WeightStore
    private var steps: [(name: String, run: () -> Void)] = []
    /// Per step: the kind of layer it is (for the profile) and its floating-point operations.
    public private(set) var stepKinds: [(kind: String, flops: Int)] = []
    private var scratch: UnsafeMutablePointer<Float>?

    public let backend: GemmBackend

    public init(graph: Graph, batch: Int, threads: Int, gemm: GemmBackend = .packed) {
        self.graph = graph
        self.batch = batch
        self.backend = gemm
        self.store = WeightStore(backend: gemm)
        self.pool = WorkerPool(threads: threads)
        Gemm.useSingleThreadedBLAS()
        plan = MemoryPlan(graph: graph, batch: batch)
        arena = AlignedMemory.bytes(max(plan.arenaBytes, 64))
        let scratchFloats = graph.nodes.map(scratchNeed).max() ?? 0
        if scratchFloats > 0 {
            scratch = store.allocate(scratchFloats)
            scratchBytes = scratchFloats * 4
        }
        for node in graph.nodes {
            steps.append((node.name, step(for: node)))
            stepKinds.append(classify(node))
        }
    }

    deinit { AlignedMemory.free(arena) }

    /// Runs a batch (N, C, H, W) and returns the output: (N, F), or (N, C, H, W) for maps.
    public func run(_ input: Tensor) -> Tensor {
        load(input)
        for step in steps { step.run() }
        return snapshot(graph.output, graph.type(of: graph.output)!)
    }

    /// Copies the NCHW input into the arena as NHWC (tokens and vectors as they are).
    private func load(_ input: Tensor) {
        precondition(input.dims == [batch] + graph.inputType.dims, "input \(input.dims) does not match the engine's \([batch] + graph.inputType.dims)")
        let t = graph.inputType
        input.data.withUnsafeBufferPointer { x in
            if t.isImage {
                OtherKernels.transpose(batch: batch, channels: t.channels, pixels: t.elements / t.channels, x: x.baseAddress!, y: buffer(Graph.inputID), toNHWC: true)
            } else {
                buffer(Graph.inputID).update(from: x.baseAddress!, count: x.count)
            }
        }
    }

    /// Runs once and returns every node's output (NCHW, or (N, F)), copied out right after its
    /// step, before the arena reuses the buffer: what `archc run --check` compares layer by layer.
    public func runAll(_ input: Tensor) -> [ValueID: Tensor] {
        load(input)
        var values: [ValueID: Tensor] = [:]
        for (node, step) in zip(graph.nodes, steps) {
            step.run()
            values[node.id] = snapshot(node.id, node.type)
        }
        return values
    }

    /// A value copied out of the arena in NCHW (or (N, F)) order.
    private func snapshot(_ value: ValueID, _ type: TensorType) -> Tensor {
        var out = Tensor(zeros: [batch] + type.dims)
        out.data.withUnsafeMutableBufferPointer { y in
            if type.isImage {
                OtherKernels.transpose(
                    batch: batch, channels: type.channels, pixels: type.elements / type.channels, x: buffer(value), y: y.baseAddress!, toNHWC: false)
            } else {
                y.baseAddress!.update(from: buffer(value), count: y.count)
            }
        }
        return out
    }

    /// One step's share of a profile: its node, layer kind, operations and mean time.
    public struct StepTime {
        public let name: String
        public let kind: String
        public let flops: Int
        public let ms: Double
    }

    /// Runs `iterations` times, timing every step; returns each step's mean milliseconds.
    public func profile(_ input: Tensor, iterations: Int) -> [StepTime] {
        var totals = [Double](repeating: 0, count: steps.count)
        _ = run(input)
        for _ in 0..<iterations {
            _ = run(input)  // the layout change at the input is left out of the profile
            for (i, step) in steps.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                step.run()
                totals[i] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
        }
        return steps.indices.map { i in
            StepTime(name: steps[i].name, kind: stepKinds[i].kind, flops: stepKinds[i].flops, ms: totals[i] / Double(max(1, iterations)))
        }
    }

    /// Step times summed by layer kind, slowest kind first.
    public static func byKind(_ steps: [StepTime]) -> [(kind: String, ms: Double, flops: Int)] {
        var byKind: [String: (Double, Int)] = [:]
        for step in steps {
            byKind[step.kind, default: (0, 0)].0 += step.ms
            byKind[step.kind, default: (0, 0)].1 += step.flops
        }
        return byKind.map { (kind: $0.key, ms: $0.value.0, flops: $0.value.1) }.sorted { $0.ms > $1.ms }
    }

    /// The profile's layer kinds: stem, pointwise, depthwise, conv (im2col), head, other.
    private func classify(_ node: Node) -> (String, Int) {
        guard let input = graph.type(of: node.inputs[0]) else { return ("other", 0) }
        switch node.kind {
        case .conv2d(let attrs, _):
            let w = constant(node.weights[0]).dims
            let g = ConvGeometry(batch: batch, input: input, output: node.type, weightDims: w, attrs)
            let flops = 2 * g.m * g.outC * (g.inC / g.groups) * g.kh * g.kw
            if node.inputs[0] == Graph.inputID { return ("stem", flops) }
            if g.isDepthwise { return ("depthwise", flops) }
            if g.isPointwise { return ("pointwise", flops) }
            return ("conv (im2col)", flops)
        case .linear:
            let flops = 2 * batch * (input.elements / input.channels) * input.channels * node.type.channels
            return (input.dims.count == 1 ? "head" : "linear", flops)
        case .attention(let heads):
            let (t, c) = (node.type.dims[0], node.type.channels)
            return ("attention", 2 * 2 * batch * heads * t * t * (c / heads))
        case .globalAvgPool:
            return ("head", batch * input.elements)
        default:
            return ("other", batch * node.type.elements)
        }
    }

    // MARK: - Building steps

    private func buffer(_ value: ValueID) -> UnsafeMutablePointer<Float> {
        (arena + plan.offsets[value]!).assumingMemoryBound(to: Float.self)
    }

    /// A weight copied (and possibly reordered) into memory the engine owns.
    private func pack(_ values: [Float]) -> UnsafePointer<Float> { store.floats(values) }

    private func constant(_ name: String) -> Tensor { graph.constants[name]! }

    private func gemmWeights(_ values: [Float], n: Int, k: Int) -> GemmWeights { store.gemm(values, n: n, k: k) }

    private func scratchNeed(_ node: Node) -> Int {
        guard case .conv2d(let attrs, _) = node.kind, let input = graph.type(of: node.inputs[0]) else { return 0 }
        let g = ConvGeometry(batch: batch, input: input, output: node.type, weightDims: constant(node.weights[0]).dims, attrs)
        return ConvKernels.scratchFloats(g, backend: backend)
    }

    private func step(for node: Node) -> () -> Void {
        let x = UnsafePointer(buffer(node.inputs[0])), y = buffer(node.id)
        let inputType = graph.type(of: node.inputs[0])!
        let pool = self.pool, batch = self.batch
        let rows = batch * inputType.elements / inputType.channels
        switch node.kind {
        case .conv2d(let attrs, let e):
            let w = constant(node.weights[0])
            let g = ConvGeometry(batch: batch, input: inputType, output: node.type, weightDims: w.dims, attrs)
            let bias = node.weights.count > 1 ? pack(constant(node.weights[1]).data) : nil
            let epilogue = EpilogueKernel(bias: bias, activation: e.activation, postActivation: e.postActivation)
            let residual = e.residual ? UnsafePointer(buffer(node.inputs[1])) : nil
            if g.isDepthwise {
                let packed = pack(DepthwiseKernel.pack(w))
                return { DepthwiseKernel.run(g, x: x, weight: packed, y: y, residual: residual, epilogue: epilogue, pool: pool) }
            }
            if g.groups == 1 {
                let weights = gemmWeights(WeightPacking.ohwi(w), n: g.outC, k: g.k)
                if g.isPointwise {
                    return { ConvKernels.pointwise(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, pool: pool) }
                }
                let scratch = self.scratch
                return { ConvKernels.im2col(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, scratch: scratch, pool: pool) }
            }
            let packed = pack(WeightPacking.ohwi(w))
            do {
                return { ConvKernels.grouped(g, x: x, weight: packed, y: y, residual: residual, epilogue: epilogue, pool: pool) }
            }
        case .batchNorm(let eps, let affine):
            let (s, t) = NormArithmetic.batchNormScaleShift(node.weights.map(constant), eps: eps, affine: affine)
            let scale = pack(s), shift = pack(t)
            return { OtherKernels.channelAffine(rows: rows, channels: inputType.channels, x: x, y: y, scale: scale, shift: shift) }
        case .scaleShift:
            let scale = pack(constant(node.weights[0]).data), shift = pack(constant(node.weights[1]).data)
            return { OtherKernels.channelAffine(rows: rows, channels: inputType.channels, x: x, y: y, scale: scale, shift: shift) }
        case .channelScale:
            let scale = pack(constant(node.weights[0]).data)
            return { OtherKernels.channelAffine(rows: rows, channels: inputType.channels, x: x, y: y, scale: scale, shift: nil) }
        case .layerNorm(let eps, let affine):
            let weight = affine ? pack(constant(node.weights[0]).data) : nil, bias = affine ? pack(constant(node.weights[1]).data) : nil
            return { TokenKernels.layerNorm(rows: rows, channels: inputType.channels, x: x, y: y, weight: weight, bias: bias, eps: eps, pool: pool) }
        case .activation(let act):
            let count = batch * node.type.elements
            return { OtherKernels.activation(count: count, act, x: x, y: y) }
        case .add:
            let b = UnsafePointer(buffer(node.inputs[1])), count = batch * node.type.elements
            return { OtherKernels.add(count: count, a: x, b: b, y: y) }
        case .maxPool(let p), .avgPool(let p):
            let isMax: Bool
            if case .maxPool = node.kind { isMax = true } else { isMax = false }
            let attrs = ConvAttributes(stride: [p.stride, p.stride], padding: Array(repeating: p.padding, count: 4), dilation: [1, 1], groups: 1)
            let g = ConvGeometry(batch: batch, input: inputType, output: node.type, weightDims: [1, 1, p.kernel, p.kernel], attrs)
            return { OtherKernels.pool(g, isMax: isMax, x: x, y: y, pool: pool) }
        case .globalAvgPool:
            let pixels = inputType.elements / inputType.channels
            return { OtherKernels.globalAvgPool(batch: batch, pixels: pixels, channels: inputType.channels, x: x, y: y) }
        case .flatten:
            if !inputType.isImage {
                let count = batch * inputType.elements
                return { y.update(from: x, count: count) }
            }
            return {
                OtherKernels.transpose(batch: batch, channels: inputType.channels, pixels: inputType.elements / inputType.channels, x: x, y: y, toNHWC: false)
            }
        case .linear(let e):
            // M = every position: the batch for a vector, batch x T for tokens, batch x H x W for a map.
            let w = gemmWeights(constant(node.weights[0]).data, n: node.type.channels, k: inputType.channels)
            let bias = node.weights.count > 1 ? pack(constant(node.weights[1]).data) : nil
            let epilogue = EpilogueKernel(bias: bias, activation: e.activation, postActivation: e.postActivation)
            let residual = e.residual ? UnsafePointer(buffer(node.inputs[1])) : nil
            return { w.multiply(m: rows, a: x, c: y, epilogue: epilogue, residual: residual, pool: pool) }
        case .tokens:
            // NHWC already holds the pixels as tokens, row by row.
            let count = batch * inputType.elements
            return { y.update(from: x, count: count) }
        case .prependToken:
            let token = pack(constant(node.weights[0]).data), (t, c) = (inputType.dims[0], inputType.channels)
            return { TokenKernels.prependToken(batch: batch, tokens: t, channels: c, x: x, token: token, y: y) }
        case .addConstant:
            let values = pack(constant(node.weights[0]).data), count = inputType.elements
            return { TokenKernels.addConstant(batch: batch, count: count, x: x, constant: values, y: y) }
        case .attention(let heads):
            let (t, c) = (node.type.dims[0], node.type.channels)
            return { AttentionKernel.run(batch: batch, tokens: t, channels: c, heads: heads, x: x, y: y, pool: pool) }
        case .selectToken(let index):
            let (t, c) = (inputType.dims[0], inputType.channels)
            return { TokenKernels.selectToken(batch: batch, tokens: t, channels: c, index: index, x: x, y: y) }
        case .tokenMean:
            let (t, c) = (inputType.dims[0], inputType.channels)
            return { TokenKernels.tokenMean(batch: batch, tokens: t, channels: c, x: x, y: y) }
        }
    }
}
