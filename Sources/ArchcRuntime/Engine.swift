import ArchcIR
import Foundation

/// Executes an optimized graph on the CPU: activations NHWC in one arena planned by
/// liveness, weights packed once for their kernels, every step split over a worker pool.
///
/// NHWC because the two kernels that matter want channels innermost: a 1x1 conv is then a
/// plain GEMM on the activation as stored, and the depthwise kernel vectorises across
/// channels (every robust-model width is a multiple of 32).
public final class Engine {
    /// The graph the engine runs. Its constants are released as they are packed (the
    /// packed copies are the engine's weights), so it holds none once `init` returns.
    public private(set) var graph: Graph
    public let batch: Int
    public let pool: WorkerPool
    public let plan: MemoryPlan
    /// Which kernel runs each node (the same plan the Swift emitter prints).
    public let kernelPlan: KernelPlan
    /// Bytes of packed weights, im2col scratch and the activation arena.
    public var weightBytes: Int { store.bytes + quantizedWeightBytes }
    /// Bytes of int8 weights and their per-channel vectors (`Precision.int8`).
    public internal(set) var quantizedWeightBytes = 0
    /// The arithmetic of the GEMM-shaped layers.
    public let precision: Precision
    public private(set) var scratchBytes = 0
    public var activationBytes: Int { plan.arenaBytes }
    public var peakBytes: Int { weightBytes + scratchBytes + plan.arenaBytes + imageActivationBytes }

    /// How many leading nodes run image by image (`BatchOrder`; 0: every layer over the batch).
    public let imageMajorNodes: Int
    /// Bytes of the per-image arena those nodes run in.
    public var imageActivationBytes: Int { imagePlan?.arenaBytes ?? 0 }

    private let arena: UnsafeMutableRawPointer
    let store: WeightStore
    /// What `run` executes, in order: with an image-major prefix, per image its input slice
    /// copied in, the prefix's steps, its output slice copied out; then the other steps.
    private var steps: [(name: String, run: () -> Void)] = []
    /// The prefix's parts, for `runAll`: its steps (one per node), and per image the copies.
    private var prefixSteps: [() -> Void] = []
    private var sliceCopies: [(into: () -> Void, outOf: () -> Void)] = []
    let imagePlan: MemoryPlan?
    private let imageArena: UnsafeMutableRawPointer?
    /// While the prefix's steps are built, `buffer` resolves values in the per-image arena.
    private var resolvingImage = false
    /// Expand convs fused into the next step: the unfused step, which `runAll` runs instead
    /// (for the value it returns), by node.
    private var unfusedSteps: [ValueID: () -> Void] = [:]
    /// The fused expand whose step was built last, for the depthwise step after it.
    private var pendingExpand: (x: UnsafePointer<Float>, weights: GemmWeights, epilogue: EpilogueKernel)?
    /// Per step: the kind of layer it is (for the profile) and its floating-point operations.
    public private(set) var stepKinds: [(kind: String, flops: Int)] = []
    private var scratch: UnsafeMutablePointer<Float>?

    public let backend: GemmBackend

    /// Plans memory and packs the weights. Throws on a CPU without the kernels' instructions
    /// (checked before any kernel code runs) and on a batch or thread count out of range.
    /// `conv3x3` chooses Winograd or the direct GEMM for 3x3 convs at stride 1 and 2 (the OpenBLAS
    /// backend and the int8 path run them direct).
    /// `fusion` runs an expand 1x1 conv and the depthwise conv that alone reads it as one
    /// step (`ExpandDepthwiseKernel`; fp32 on the packed GEMM only).
    /// Each constant is freed once its last step is built: when the caller hands over its
    /// only copy of the graph (`PreparedModel.takeOptimized()`), unpacked and packed weights
    /// are never both whole in memory.
    public init(
        graph: consuming Graph, batch: Int, threads: Int, gemm: GemmBackend = .packed, precision: Precision = .fp32,
        conv3x3: Conv3x3Algorithm = .auto, batchOrder: BatchOrder = .auto, fusion: ExpandDepthwiseFusion = .auto,
        memoryLimit: Int = .max
    ) throws {
        try CPUFeatures.require()
        guard batch >= 1 else { throw EngineError.invalid("batch must be at least 1, found \(batch)") }
        guard threads >= 1 else { throw EngineError.invalid("threads must be at least 1, found \(threads)") }
        self.batch = batch
        self.backend = gemm
        self.precision = precision
        self.store = WeightStore(backend: gemm)
        self.pool = WorkerPool(threads: threads)
        Gemm.useSingleThreadedBLAS()
        let prefix = batchOrder.prefixLength(copy graph, batch: batch)
        imageMajorNodes = prefix
        // Winograd and the fused expand+depthwise step are fp32 kernels on the packed GEMM: the
        // int8 path keeps 3x3 convs on its own im2col GEMM.
        let fp32Packed: Bool
        if case .fp32 = precision { fp32Packed = gemm == .packed } else { fp32Packed = false }
        kernelPlan = KernelPlan(
            copy graph, conv3x3: fp32Packed ? conv3x3 : .direct, batch: batch, fusion: fp32Packed ? fusion : .off,
            imageMajorPrefix: prefix)
        let extraReads = kernelPlan.extraReads
        // In place only on the fp32 packed GEMM (OpenBLAS writes C before the epilogue reads
        // the residual; the int8 GEMM is not built for it).
        let inPlace = fp32Packed ? kernelPlan.inPlaceResiduals : []
        plan = MemoryPlan(graph: copy graph, batch: batch, imageMajorPrefix: prefix, extraReads: extraReads, inPlace: inPlace)
        imagePlan = prefix > 0 ? MemoryPlan(imagePrefixOf: copy graph, length: prefix, extraReads: extraReads, inPlace: inPlace) : nil
        // The arenas are the allocations that grow with the batch: checked against the
        // limit, and a failed allocation is an error, not an abort.
        let activationBytes = plan.arenaBytes + (imagePlan?.arenaBytes ?? 0)
        guard activationBytes <= memoryLimit else {
            throw EngineError.invalid(
                "the activations need \(Self.size(activationBytes)) at batch \(batch), over the \(Self.size(memoryLimit)) limit (--max-memory)")
        }
        arena = try Self.allocate(max(plan.arenaBytes, 64))
        do {
            imageArena = try imagePlan.map { try Self.allocate(max($0.arenaBytes, 64)) }
        } catch {
            AlignedMemory.free(arena)
            throw error
        }
        // Moved, not copied: a second reference would keep every released constant alive.
        self.graph = consume graph
        let scratchFloats = kernelPlan.steps.map { scratchNeed($0.kernel) }.max() ?? 0
        if scratchFloats > 0 {
            scratch = store.allocate(scratchFloats)
            scratchBytes = scratchFloats * 4
        }
        // Int8 steps share one u8 scratch (empty at fp32).
        var int8: (ranges: ActivationRanges, scratch: UnsafeMutablePointer<UInt8>)?
        if case .int8(let ranges) = precision {
            let bytes = Self.int8ScratchBytes(kernelPlan, batch: batch)
            int8 = (ranges, UnsafeMutableRawPointer(store.allocate((bytes + 3) / 4)).bindMemory(to: UInt8.self, capacity: max(1, bytes)))
            scratchBytes += bytes
        }
        var uses: [String: Int] = [:]
        for step in kernelPlan.steps { for name in step.node.weights { uses[name, default: 0] += 1 } }
        var prefixKinds: [(kind: String, flops: Int)] = []
        for (index, step) in kernelPlan.steps.enumerated() {
            // The image-major prefix runs over one image, in the per-image arena.
            let inPrefix = index < prefix
            resolvingImage = inPrefix
            let quantized = try int8.flatMap { try int8Step(step.node, step.kernel, batch: inPrefix ? 1 : batch, ranges: $0.ranges, scratch: $0.scratch) }
            let run = quantized ?? self.step(step.node, step.kernel, batch: inPrefix ? 1 : batch)
            let kind = quantized == nil ? step.kind : "int8 " + step.kind
            resolvingImage = false
            if inPrefix {
                prefixSteps.append(run)
                prefixKinds.append((kind, step.flopsPerImage))
                if index == prefix - 1 { addImageMajorPrefix(kernelPlan.steps[..<prefix].map(\.node.name), prefixKinds) }
            } else {
                steps.append((step.node.name, run))
                stepKinds.append((kind, step.flopsPerImage * batch))
            }
            for name in step.node.weights {
                uses[name]! -= 1
                if uses[name] == 0 { self.graph.constants[name] = nil }
            }
        }
        self.graph.constants = [:]
    }

    /// `bytes` as the spec checks print sizes: "30.38 KiB", "6.00 GiB".
    static func size(_ bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= 1 << shift {
            let whole = bytes >> shift, hundredths = ((bytes - whole << shift) * 100) >> shift
            return "\(whole).\(hundredths < 10 ? "0" : "")\(hundredths) \(unit)"
        }
        return "\(bytes) bytes"
    }

    private static func allocate(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        guard let memory = AlignedMemory.bytesIfAvailable(bytes) else {
            throw EngineError.invalid("cannot allocate the \(size(bytes)) of activations: out of memory")
        }
        return memory
    }

    /// Appends the image-major prefix to `steps`: per image, its input slice copied into the
    /// per-image arena, the prefix's steps, the prefix output copied into its slice of the
    /// batch's buffer (NHWC: an image's slice is contiguous).
    private func addImageMajorPrefix(_ names: [String], _ kinds: [(kind: String, flops: Int)]) {
        let last = graph.nodes[prefixSteps.count - 1]
        let inputCount = graph.inputType.elements, outputCount = last.type.elements
        let batchInput = UnsafePointer(buffer(Graph.inputID)), batchOutput = buffer(last.id)
        resolvingImage = true
        let imageInput = buffer(Graph.inputID), imageOutput = UnsafePointer(buffer(last.id))
        resolvingImage = false
        for image in 0..<batch {
            let copies = (
                into: { imageInput.update(from: batchInput + image * inputCount, count: inputCount) },
                outOf: { (batchOutput + image * outputCount).update(from: imageOutput, count: outputCount) }
            )
            sliceCopies.append(copies)
            steps.append(("image slices", copies.into))
            stepKinds.append(("image slices", 0))
            for (name, (run, kind)) in zip(names, zip(prefixSteps, kinds)) {
                steps.append((name, run))
                stepKinds.append(kind)
            }
            steps.append(("image slices", copies.outOf))
            stepKinds.append(("image slices", 0))
        }
    }

    deinit {
        AlignedMemory.free(arena)
        if let imageArena { AlignedMemory.free(imageArena) }
    }

    /// Runs a batch (N, C, H, W) and returns the output: (N, F), or (N, C, H, W) for maps.
    /// Throws when the input's shape is not the engine's.
    public func run(_ input: Tensor) throws -> Tensor {
        try load(input)
        for step in steps { step.run() }
        return snapshot(graph.output, graph.type(of: graph.output)!)
    }

    /// Copies the NCHW input into the arena as NHWC, after checking its shape: the kernels
    /// trust it (they are built unchecked).
    private func load(_ input: Tensor) throws {
        let expected = [batch] + graph.inputType.dims
        guard input.dims == expected, input.data.count == input.dims.reduce(1, *) else {
            throw EngineError.inputShape(expected: expected, found: input.dims)
        }
        let t = graph.inputType
        input.data.withUnsafeBufferPointer { x in
            if t.isImage {
                OtherKernels.transpose(
                    batch: batch, channels: t.channels, pixels: t.elements / t.channels, x: x.baseAddress!, y: buffer(Graph.inputID), toNHWC: true)
            } else {
                buffer(Graph.inputID).update(from: x.baseAddress!, count: x.count)  // tokens and vectors as they are
            }
        }
    }

    /// Runs once and returns every node's output (NCHW, or (N, F)), copied out right after its
    /// step, before the arena reuses the buffer: what `archc run --check` compares layer by layer.
    public func runAll(_ input: Tensor) throws -> [ValueID: Tensor] {
        try load(input)
        var values: [ValueID: Tensor] = [:]
        let prefix = graph.nodes[..<imageMajorNodes]
        for node in prefix { values[node.id] = Tensor(zeros: [batch] + node.type.dims) }
        for (image, copies) in sliceCopies.enumerated() {
            copies.into()
            for (node, step) in zip(prefix, prefixSteps) {
                (unfusedSteps[node.id] ?? step)()
                resolvingImage = true
                let one = snapshot(node.id, node.type, batch: 1)
                resolvingImage = false
                values[node.id]!.data.withUnsafeMutableBufferPointer {
                    ($0.baseAddress! + image * one.data.count).update(from: one.data, count: one.data.count)
                }
            }
            copies.outOf()
        }
        for (node, step) in zip(graph.nodes[imageMajorNodes...], steps[(steps.count - (graph.nodes.count - imageMajorNodes))...]) {
            (unfusedSteps[node.id] ?? step.run)()
            values[node.id] = snapshot(node.id, node.type)
        }
        return values
    }

    /// A value copied out of the arena in NCHW (or (N, F)) order.
    private func snapshot(_ value: ValueID, _ type: TensorType, batch: Int? = nil) -> Tensor {
        let batch = batch ?? self.batch
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
    public func profile(_ input: Tensor, iterations: Int) throws -> [StepTime] {
        var totals = [Double](repeating: 0, count: steps.count)
        _ = try run(input)
        for _ in 0..<iterations {
            _ = try run(input)  // the layout change at the input is left out of the profile
            for (i, step) in steps.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                step.run()
                totals[i] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
        }
        // An image-major prefix runs each of its steps once per image: one entry per name.
        var order: [String] = [], merged: [String: StepTime] = [:]
        for i in steps.indices {
            let name = steps[i].name, ms = totals[i] / Double(max(1, iterations))
            if let seen = merged[name] {
                merged[name] = StepTime(name: name, kind: seen.kind, flops: seen.flops + stepKinds[i].flops, ms: seen.ms + ms)
            } else {
                order.append(name)
                merged[name] = StepTime(name: name, kind: stepKinds[i].kind, flops: stepKinds[i].flops, ms: ms)
            }
        }
        return order.map { merged[$0]! }
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

    // MARK: - Building steps

    func buffer(_ value: ValueID) -> UnsafeMutablePointer<Float> {
        if resolvingImage, let imagePlan, let imageArena {
            return (imageArena + imagePlan.offsets[value]!).assumingMemoryBound(to: Float.self)
        }
        return (arena + plan.offsets[value]!).assumingMemoryBound(to: Float.self)
    }

    /// A weight copied (and possibly reordered) into memory the engine owns.
    private func pack(_ values: [Float]) -> UnsafePointer<Float> { store.floats(values) }

    func constant(_ name: String) -> Tensor { graph.constants[name]! }

    private func gemmWeights(_ values: [Float], n: Int, k: Int) -> GemmWeights { store.gemm(values, n: n, k: k) }

    /// Scratch floats a step needs at this batch (only im2col and Winograd convs use any).
    private func scratchNeed(_ kernel: KernelPlan.Kernel) -> Int {
        switch kernel {
        case .im2col(var g, _):
            g.batch = batch
            return ConvKernels.scratchFloats(g, backend: backend)
        case .winograd(var g, _, let tile):
            g.batch = batch
            return WinogradKernel.scratchFloats(g, tile: tile)
        default:
            return 0
        }
    }

    /// The step that executes a node's planned kernel: weights packed now, pointers bound.
    private func step(_ node: Node, _ kernel: KernelPlan.Kernel, batch: Int) -> () -> Void {
        let x = UnsafePointer(buffer(node.inputs[0])), y = buffer(node.id)
        let pool = self.pool
        switch kernel {
        case .depthwise(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let packed = pack(DepthwiseKernel.pack(constant(node.weights[0])))
            return { DepthwiseKernel.run(g, x: x, weight: packed, y: y, residual: residual, epilogue: epilogue, pool: pool) }
        case .pointwise(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let weights = gemmWeights(WeightPacking.ohwi(constant(node.weights[0])), n: g.outC, k: g.k)
            return { ConvKernels.pointwise(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, pool: pool) }
        case .fusedExpand(var g, let e):
            g.batch = batch
            let (epilogue, _) = convEpilogue(node, e)
            let weights = gemmWeights(WeightPacking.ohwi(constant(node.weights[0])), n: g.outC, k: g.k)
            pendingExpand = (x, weights, epilogue)
            unfusedSteps[node.id] = { ConvKernels.pointwise(g, x: x, weight: weights, y: y, residual: nil, epilogue: epilogue, pool: pool) }
            return {}
        case .expandDepthwise(var eg, _, var g, let e):
            (eg.batch, g.batch) = (batch, batch)
            let (epilogue, residual) = convEpilogue(node, e)
            let packed = pack(DepthwiseKernel.pack(constant(node.weights[0])))
            let expand = pendingExpand!
            pendingExpand = nil
            return {
                ExpandDepthwiseKernel.run(
                    expand: eg, x: expand.x, expandWeight: expand.weights, expandEpilogue: expand.epilogue, depthwise: g, weight: packed, y: y,
                    residual: residual, epilogue: epilogue, pool: pool)
            }
        case .im2col(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let weights = gemmWeights(WeightPacking.ohwi(constant(node.weights[0])), n: g.outC, k: g.k)
            let scratch = self.scratch
            return { ConvKernels.im2col(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, scratch: scratch, pool: pool) }
        case .winograd(var g, let e, let tile):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let weights = store.winograd(constant(node.weights[0]), tile: tile)
            let scratch = self.scratch!
            return { WinogradKernel.run(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, scratch: scratch, pool: pool) }
        case .grouped(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let packed = pack(WeightPacking.ohwi(constant(node.weights[0])))
            return { ConvKernels.grouped(g, x: x, weight: packed, y: y, residual: residual, epilogue: epilogue, pool: pool) }
        case .batchNorm(let rows, let channels, let eps, let affine):
            let (s, t) = NormArithmetic.batchNormScaleShift(node.weights.map(constant), eps: eps, affine: affine)
            let scale = pack(s), shift = pack(t), rows = batch * rows
            return { OtherKernels.channelAffine(rows: rows, channels: channels, x: x, y: y, scale: scale, shift: shift) }
        case .channelAffine(let rows, let channels, let hasShift):
            let scale = pack(constant(node.weights[0]).data), shift = hasShift ? pack(constant(node.weights[1]).data) : nil
            let rows = batch * rows
            return { OtherKernels.channelAffine(rows: rows, channels: channels, x: x, y: y, scale: scale, shift: shift) }
        case .layerNorm(let rows, let channels, let eps, let affine):
            let weight = affine ? pack(constant(node.weights[0]).data) : nil, bias = affine ? pack(constant(node.weights[1]).data) : nil
            let rows = batch * rows
            return { TokenKernels.layerNorm(rows: rows, channels: channels, x: x, y: y, weight: weight, bias: bias, eps: eps, pool: pool) }
        case .activation(let count, let act):
            let count = batch * count
            return { OtherKernels.activation(count: count, act, x: x, y: y) }
        case .add(let count):
            let b = UnsafePointer(buffer(node.inputs[1])), count = batch * count
            return { OtherKernels.add(count: count, a: x, b: b, y: y) }
        case .pool(var g, let isMax):
            g.batch = batch
            return { OtherKernels.pool(g, isMax: isMax, x: x, y: y, pool: pool) }
        case .globalAvgPool(let pixels, let channels):
            return { OtherKernels.globalAvgPool(batch: batch, pixels: pixels, channels: channels, x: x, y: y) }
        case .flattenMap(let channels, let pixels):
            return { OtherKernels.transpose(batch: batch, channels: channels, pixels: pixels, x: x, y: y, toNHWC: false) }
        case .copy(let count):
            let count = batch * count
            return { y.update(from: x, count: count) }
        case .linear(let rows, let features, let outputs, let e):
            let w = gemmWeights(constant(node.weights[0]).data, n: outputs, k: features)
            let (epilogue, residual) = convEpilogue(node, e)
            let m = batch * rows
            return { w.multiply(m: m, a: x, c: y, epilogue: epilogue, residual: residual, pool: pool) }
        case .prependToken(let t, let c):
            let token = pack(constant(node.weights[0]).data)
            return { TokenKernels.prependToken(batch: batch, tokens: t, channels: c, x: x, token: token, y: y) }
        case .addConstant(let count):
            let values = pack(constant(node.weights[0]).data)
            return { TokenKernels.addConstant(batch: batch, count: count, x: x, constant: values, y: y) }
        case .attention(let t, let c, let heads):
            return { AttentionKernel.run(batch: batch, tokens: t, channels: c, heads: heads, x: x, y: y, pool: pool) }
        case .selectToken(let t, let c, let index):
            return { TokenKernels.selectToken(batch: batch, tokens: t, channels: c, index: index, x: x, y: y) }
        case .tokenMean(let t, let c):
            return { TokenKernels.tokenMean(batch: batch, tokens: t, channels: c, x: x, y: y) }
        }
    }

    /// A conv's fused epilogue (bias, activation, residual add, post-add activation) and the
    /// residual input it reads, if any.
    func convEpilogue(_ node: Node, _ e: Epilogue) -> (EpilogueKernel, UnsafePointer<Float>?) {
        let bias = node.weights.count > 1 ? pack(constant(node.weights[1]).data) : nil
        let residual = e.residual ? UnsafePointer(buffer(node.inputs[1])) : nil
        return (EpilogueKernel(bias: bias, activation: e.activation, postActivation: e.postActivation), residual)
    }
}
