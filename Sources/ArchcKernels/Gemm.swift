import COpenBLAS

/// Row-major `C[M, N] = A[M, K] * B[N, K]^T` (B holds one output channel per row, as
/// conv and linear weights do), split into chunks by rows or columns so two workers share
/// it; OpenBLAS itself runs single-threaded inside each chunk, so its threads never compete
/// with ours. `epilogue` runs on each chunk's tile right after it is computed.
public enum Gemm {
    /// Fixed chunking from the problem size alone, so results do not depend on thread count.
    static func chunks(m: Int, n: Int, k: Int) -> (byRows: Bool, count: Int) {
        let work = m * n * k
        let wanted = max(1, min(8, work / 2_000_000))
        if m >= n { return (true, max(1, min(wanted, m / 16))) }
        return (false, max(1, min(wanted, n / 16)))
    }

    public static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        pool: WorkerPool, epilogue: (_ row0: Int, _ rows: Int, _ col0: Int, _ col1: Int) -> Void
    ) {
        let (byRows, count) = chunks(m: m, n: n, k: k)
        pool.run(chunks: count) { chunk in
            if byRows {
                let r0 = chunk * m / count, r1 = (chunk + 1) * m / count
                guard r1 > r0 else { return }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r1 - r0), Int32(n), Int32(k), 1, a + r0 * k, Int32(k), b, Int32(k), 0, c + r0 * n, Int32(n))
                epilogue(r0, r1 - r0, 0, n)
            } else {
                // Column chunks on multiples of 16 keep OpenBLAS's vector tiles whole.
                let c0 = (chunk * n / count) / 16 * 16, c1 = chunk == count - 1 ? n : ((chunk + 1) * n / count) / 16 * 16
                guard c1 > c0 else { return }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(c1 - c0), Int32(k), 1, a, Int32(k), b + c0 * k, Int32(k), 0, c + c0, Int32(n))
                epilogue(0, m, c0, c1)
            }
        }
    }

    /// OpenBLAS must not start its own threads: ours do the splitting.
    public static func useSingleThreadedBLAS() {
        openblas_set_num_threads(1)
    }
}
