/// Which GEMM runs the pointwise, im2col and linear layers.
public enum GemmBackend: String, Sendable, CaseIterable {
    /// Our 6x16 SIMD kernel on weights packed once at load (the default: measured faster).
    case packed
    /// OpenBLAS (single-threaded per chunk; it repacks both operands on every call).
    case openblas
}

/// A layer's weights [N, K] ready for one backend: `C[M, N] = A[M, K] * W^T`.
public struct GemmWeights {
    public let n: Int
    public let k: Int
    let backend: GemmBackend
    let rowMajor: UnsafePointer<Float>?
    let packed: PackedGemm.PackedMatrix?

    /// For OpenBLAS: `weights` [N, K] row-major, which must outlive this value.
    public init(rowMajor weights: UnsafePointer<Float>, n: Int, k: Int) {
        (self.n, self.k, backend) = (n, k, .openblas)
        rowMajor = weights
        packed = nil
    }

    /// For the packed GEMM: weights packed by `PackedGemm.pack`, which must outlive this value.
    public init(packed: PackedGemm.PackedMatrix) {
        (n, k, backend) = (packed.n, packed.k, .packed)
        rowMajor = nil
        self.packed = packed
    }

    /// `C[M, N] = epilogue(A[M, K] * W^T)`, `residual` (if any) laid out as C.
    public func multiply(
        m: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, epilogue: EpilogueKernel, residual: UnsafePointer<Float>?,
        pool: WorkerPool
    ) {
        switch backend {
        case .openblas:
            let n = self.n
            Gemm.multiply(m: m, n: n, k: k, a: a, b: rowMajor!, c: c, pool: pool) { r0, rows, c0, c1 in
                epilogue.apply(c + r0 * n, residual: residual.map { $0 + r0 * n }, rows: rows, stride: n, columns: c0, c1)
            }
        case .packed:
            PackedGemm.multiply(m: m, a: a, lda: k, packed!, c: c, ldc: n, epilogue: epilogue, residual: residual, pool: pool)
        }
    }
}
