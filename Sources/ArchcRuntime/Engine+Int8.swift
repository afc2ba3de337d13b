import ArchcIR

/// The int8 path of the engine (`Precision.int8`): 1x1 convs, im2col convs (but the shallowest) and linears run
/// `Int8Gemm` on their input quantized with its calibrated range; depthwise, grouped,
/// pooling, normalisation, attention and elementwise layers stay float32, and so does every
/// layer's output.
extension Engine {
    /// True for the kernels the int8 path replaces: 1x1 convs, linears, and im2col convs of
    /// at least `minInt8ConvDepth` products per output.
    public static func runsInInt8(_ kernel: KernelPlan.Kernel) -> Bool {
        switch kernel {
        case .pointwise, .linear: return true
        case .im2col(let g, _): return g.k >= minInt8ConvDepth
        default: return false
        }
    }

    /// Shallower im2col convs stay float32: a 3x3 stem on RGB (K = 27, EfficientNet-Lite0's)
    /// spends its int8 time quantizing the image and building the u8 im2col, not summing
    /// (Lite0's stem 0.40 ms in int8 against 0.31 ms in float32 at batch 1, 3.02 against 2.58
    /// at batch 8), and the first layer is where quantization costs most accuracy. Patchify
    /// stems (K = 768) and ResNet's 7x7 stem (K = 147) stay int8.
    public static let minInt8ConvDepth = 64

    /// Bytes of u8 scratch the int8 steps need at `batch` (the largest one: steps run in turn).
    static func int8ScratchBytes(_ plan: KernelPlan, batch: Int) -> Int {
        plan.steps.map { step -> Int in
            guard runsInInt8(step.kernel) else { return 0 }
            switch step.kernel {
            case .pointwise(var g, _):
                g.batch = batch
                return g.m * Int8Weights.paddedDepth(g.inC)
            case .im2col(var g, _):
                g.batch = batch
                return Int8ConvRows.bytes(g, kp: Int8Weights.paddedDepth(g.k))
            case .linear(let rows, let features, _, _):
                return batch * rows * Int8Weights.paddedDepth(features)
            default:
                return 0
            }
        }.max() ?? 0
    }

    /// The quantization of the value node `node` reads first, from `ranges`.
    func inputQuantization(_ node: Node, _ ranges: ActivationRanges) throws -> ActivationQuantization {
        guard let name = ActivationRanges.name(of: node.inputs[0], in: graph), let range = ranges.ranges[name] else {
            throw EngineError.invalid("no calibrated range for the input of '\(node.name)'")
        }
        return ActivationQuantization(lo: range.lowerBound, hi: range.upperBound)
    }

    /// The int8 step for a node the int8 path replaces over `batch` images (1 in the
    /// image-major prefix), nil for others.
    func int8Step(
        _ node: Node, _ kernel: KernelPlan.Kernel, batch: Int, ranges: ActivationRanges, scratch: UnsafeMutablePointer<UInt8>
    ) throws -> (() -> Void)? {
        guard Self.runsInInt8(kernel) else { return nil }
        let x = UnsafePointer(buffer(node.inputs[0])), y = buffer(node.id)
        let pool = self.pool, input = try inputQuantization(node, ranges)
        switch kernel {
        case .pointwise(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let gemm = int8Gemm(WeightPacking.ohwi(constant(node.weights[0])), n: g.outC, k: g.inC, input: input, bias: epilogue.bias)
            let m = g.m, k = g.inC, n = g.outC
            return { gemm.multiply(m: m, a: x, lda: k, scratch: scratch, c: y, ldc: n, epilogue: epilogue, residual: residual, pool: pool) }
        case .im2col(var g, let e):
            g.batch = batch
            let (epilogue, residual) = convEpilogue(node, e)
            let gemm = int8Gemm(WeightPacking.ohwi(constant(node.weights[0])), n: g.outC, k: g.k, input: input, bias: epilogue.bias)
            let kp = gemm.weights.kp
            return {
                let rows = Int8ConvRows.fill(g, x: x, quantization: input, kp: kp, scratch: scratch, pool: pool)
                gemm.multiply(m: g.m, quantized: rows, c: y, ldc: g.outC, epilogue: epilogue, residual: residual, pool: pool)
            }
        case .linear(let rows, let features, let outputs, let e):
            let (epilogue, residual) = convEpilogue(node, e)
            let gemm = int8Gemm(constant(node.weights[0]).data, n: outputs, k: features, input: input, bias: epilogue.bias)
            let m = batch * rows
            return { gemm.multiply(m: m, a: x, lda: features, scratch: scratch, c: y, ldc: outputs, epilogue: epilogue, residual: residual, pool: pool) }
        default:
            return nil
        }
    }

    /// Weights [N, K] quantized and packed into the weight store, with the layer's input quantization and bias.
    private func int8Gemm(_ values: [Float], n: Int, k: Int, input: ActivationQuantization, bias: UnsafePointer<Float>?) -> Int8Gemm {
        let bytes = Int8Weights.packedBytes(n: n, k: k)
        let memory = UnsafeMutableRawPointer(store.allocate((bytes + 3) / 4)).bindMemory(to: Int8.self, capacity: bytes)
        let weights = values.withUnsafeBufferPointer { Int8Weights(quantizing: $0.baseAddress!, n: n, k: k, into: memory) }
        quantizedWeightBytes += bytes + 3 * Int8Gemm.vectorBytes(n: n)
        return Int8Gemm(weights: weights, input: input, bias: bias) { UnsafeMutableRawPointer(store.allocate(($0 + 3) / 4)) }
    }
}
