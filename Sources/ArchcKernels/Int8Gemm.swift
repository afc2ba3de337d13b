import ArchcIR
import CKernelSupport

/// A GEMM-shaped layer (1x1 conv, im2col conv, linear) in int8: `C[M, N] = epilogue(A * W^T)`
/// with A quantized per tensor to u8 (`input`), W per output channel to 7-bit signed
/// (`Int8Weights`), int32 sums (`archc_qgemm_u8s8`), and the dequantization folded into the
/// epilogue: `y = post(act(float(sum - zp * colsum) * sx * sw + bias) + residual)`.
/// Outputs stay fp32, so every other layer runs as before.
public struct Int8Gemm {
    public let weights: Int8Weights
    public let input: ActivationQuantization
    /// Per column, `panels * 16` values (zero past N): sx * sw[j], -zp * colsum[j], bias[j].
    public let scale: UnsafeMutablePointer<Float>
    public let offset: UnsafeMutablePointer<Int32>
    public let bias: UnsafeMutablePointer<Float>

    /// Whether the products run the AVX-512 VNNI kernel (`archc_qgemm_u8s8_vnni`): on a CPU
    /// with it, unless `ARCHC_ISA=avx2` asks for the AVX2 kernels (`AVX512.enabled`). Either
    /// kernel gives the same bits.
    static var usesVNNI: Bool { AVX512.enabled && hasVNNI }

    /// Whether this CPU runs AVX-512 VNNI (and AVX-512F).
    public static let hasVNNI = archc_cpu_has_avx512vnni() != 0

    /// Bytes of the per-column vectors (`allocate` is asked for three of this size).
    public static func vectorBytes(n: Int) -> Int { (n + 15) / 16 * 16 * 4 }

    /// `allocate(bytes)` returns 64-byte aligned memory the caller owns and keeps alive.
    public init(weights: Int8Weights, input: ActivationQuantization, bias: UnsafePointer<Float>?, allocate: (Int) -> UnsafeMutableRawPointer) {
        (self.weights, self.input) = (weights, input)
        let width = weights.panels * 16, bytes = Self.vectorBytes(n: weights.n)
        scale = allocate(bytes).bindMemory(to: Float.self, capacity: width)
        offset = allocate(bytes).bindMemory(to: Int32.self, capacity: width)
        self.bias = allocate(bytes).bindMemory(to: Float.self, capacity: width)
        scale.update(repeating: 0, count: width)
        offset.update(repeating: 0, count: width)
        self.bias.update(repeating: 0, count: width)
        for j in 0..<weights.n {
            scale[j] = input.scale * weights.scales[j]
            offset[j] = -Int32(input.zeroPoint) * weights.sums[j]
            self.bias[j] = bias?[j] ?? 0
        }
    }

    /// Bytes of quantized A a call on `m` rows needs.
    public func quantizedBytes(m: Int) -> Int { m * weights.kp }

    /// A dense fp32 A [M, K] (`lda` floats apart): quantized into `scratch` (`quantizedBytes`), then multiplied.
    public func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, scratch: UnsafeMutablePointer<UInt8>, c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: EpilogueKernel, residual: UnsafePointer<Float>?, pool: WorkerPool
    ) {
        let (k, kp, input) = (weights.k, weights.kp, self.input)
        let rowsPerChunk = 64
        pool.run(chunks: (m + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            let r0 = chunk * rowsPerChunk, rows = min(rowsPerChunk, m - r0)
            input.quantize(a + r0 * lda, rows: rows, k: k, ldx: lda, into: scratch + r0 * kp, ldq: kp, kp: kp)
        }
        multiply(m: m, quantized: scratch, c: c, ldc: ldc, epilogue: epilogue, residual: residual, pool: pool)
    }

    /// A already quantized, [M, KP] bytes.
    public func multiply(
        m: Int, quantized a: UnsafePointer<UInt8>, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: EpilogueKernel,
        residual: UnsafePointer<Float>?, pool: WorkerPool
    ) {
        let parts = PackedGemm.split(m: m, n: weights.n, panels: weights.panels)
        // ReLU and ReLU6 are finished in the kernel's registers; GELU (no C version) after it, per block.
        let inKernel = Self.code(epilogue.activation) != nil && Self.code(epilogue.postActivation) != nil
        let e = archc_qepilogue(
            scale: scale, offset: offset, bias: bias, residual: inKernel ? residual : nil,
            activation: inKernel ? Self.code(epilogue.activation)! : 0, post_activation: inKernel ? Self.code(epilogue.postActivation)! : 0)
        let rest = EpilogueKernel(bias: nil, activation: epilogue.activation, postActivation: epilogue.postActivation)
        let (kp, n, b) = (weights.kp, weights.n, UnsafePointer(weights.data))
        let vnni = Self.usesVNNI, rowsOuter = PackedGemm.rowsOuterBytesOfB
        pool.run(chunks: parts.count) { part in
            for block in parts[part] where block.r1 > block.r0 && block.p1 > block.p0 {
                withUnsafePointer(to: e) {
                    if vnni {
                        archc_qgemm_u8s8_vnni(a, kp, kp, b, block.r0, block.r1, block.p0, block.p1, n, c, ldc, $0, rowsOuter)
                    } else {
                        archc_qgemm_u8s8(a, kp, kp, b, block.r0, block.r1, block.p0, block.p1, n, c, ldc, $0)
                    }
                }
                guard !inKernel else { continue }
                let c0 = block.p0 * 16, c1 = min(n, block.p1 * 16)
                rest.apply(
                    c + block.r0 * ldc, residual: residual.map { $0 + block.r0 * ldc }, rows: block.r1 - block.r0, stride: ldc, columns: c0, c1)
            }
        }
    }

    /// The kernel's activation code: 0 none, 1 ReLU, 2 ReLU6; nil for GELU.
    static func code(_ act: Activation?) -> Int32? {
        switch act {
        case nil: return 0
        case .relu: return 1
        case .relu6: return 2
        case .gelu: return nil
        }
    }
}
