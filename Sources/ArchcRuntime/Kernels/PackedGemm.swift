import CKernelSupport

/// Our own SGEMM for `C[M, N] = A[M, K] * B[N, K]^T` with B (the weights) packed once when
/// the engine is built, so no call ever repacks weights (OpenBLAS repacks both operands on
/// every call). A 6x16 register tile: per step of k, two 8-wide loads of packed B, six
/// broadcasts of A, twelve FMAs into twelve independent accumulators (FMA latency 4 x 2
/// pipes needs at least 8). K is blocked by 256 so a B panel block (16 KiB) stays in L1
/// while A's rows stream from L2.
public enum PackedGemm {
    public static let mr = 6
    public static let nr = 16
    public static let kc = 256
    /// Rows per block: an A block of 144 x 256 floats (144 KiB) stays in L2 while every B
    /// panel of the chunk passes over it (at batch 8 all of A is 1.6 MiB and would stream from L3).
    public static let mc = 144

    /// B packed as panels of 16 columns: panel p holds k-major [K][16], zero-padded past N.
    public struct PackedMatrix {
        public let n: Int
        public let k: Int
        public let data: UnsafeMutablePointer<Float>
        public var panels: Int { (n + PackedGemm.nr - 1) / PackedGemm.nr }
        public var floats: Int { panels * k * PackedGemm.nr }
    }

    /// Packs row-major weights [N, K] (one output channel per row) into 64-byte aligned
    /// memory; the caller owns `data` (free with `AlignedMemory.free`).
    public static func pack(_ b: UnsafePointer<Float>, n: Int, k: Int) -> PackedMatrix {
        let panels = (n + nr - 1) / nr
        let data = AlignedMemory.floats(panels * k * nr)
        data.update(repeating: 0, count: max(1, panels * k * nr))
        for p in 0..<panels {
            let panel = data + p * k * nr
            for j in 0..<min(nr, n - p * nr) {
                let row = b + (p * nr + j) * k
                for kk in 0..<k { panel[kk * nr + j] = row[kk] }
            }
        }
        return PackedMatrix(n: n, k: k, data: data)
    }

    /// Work split: column chunks of whole panels, and row chunks when there are few panels.
    /// Fixed by the shape alone, so results do not depend on the thread count.
    static func grid(m: Int, panels: Int) -> (rows: Int, cols: Int) {
        let cols = max(1, min(48, panels / 2))
        let rows = cols >= 4 ? 1 : max(1, min(8, m / 96))
        return (rows, cols)
    }

    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, _ b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
        pool: WorkerPool, epilogue: (_ row0: Int, _ rows: Int, _ col0: Int, _ col1: Int) -> Void
    ) {
        let (rowChunks, colChunks) = grid(m: m, panels: b.panels)
        pool.run(chunks: rowChunks * colChunks) { chunk in
            let rc = chunk / colChunks, cc = chunk % colChunks
            let r0 = rc * m / rowChunks, r1 = (rc + 1) * m / rowChunks
            let p0 = cc * b.panels / colChunks, p1 = (cc + 1) * b.panels / colChunks
            guard r1 > r0, p1 > p0 else { return }
            var k0 = 0
            while k0 < b.k {
                let kLen = min(kc, b.k - k0)
                var m0 = r0
                while m0 < r1 {
                    let m1 = min(r1, m0 + mc)
                    for p in p0..<p1 {
                        let cols = min(nr, b.n - p * nr)
                        let panel = UnsafePointer(b.data) + p * b.k * nr + k0 * nr
                        // Weights come from memory once per call (a model's do not fit in the
                        // caches): while this panel block is used, the next one is prefetched,
                        // a share of its lines before each row tile.
                        let next = m0 == r0 ? nextBlock(b, p: p, k0: k0, p0: p0, p1: p1) : nil
                        let tiles = (m1 - m0 + mr - 1) / mr
                        let linesPerTile = next.map { ($0.lines + tiles - 1) / tiles } ?? 0
                        var r = m0, line = 0
                        while r < m1 {
                            if let next {
                                let end = min(next.lines, line + linesPerTile)
                                while line < end {
                                    archc_prefetch_l2(UnsafeRawPointer(next.start) + line * 64)
                                    line += 1
                                }
                            }
                            tile(
                                kLen, a: a + r * lda + k0, lda: lda, panel: panel, c: c + r * ldc + p * nr, ldc: ldc,
                                rows: min(mr, m1 - r), cols: cols, accumulate: k0 > 0)
                            r += mr
                        }
                    }
                    m0 = m1
                }
                k0 += kLen
            }
            epilogue(r0, r1 - r0, p0 * nr, min(b.n, p1 * nr))
        }
    }

    /// The panel block a chunk uses after panel `p` at depth `k0`: the next panel, or the
    /// chunk's first panel at the next depth block; its 64-byte lines.
    @inline(__always)
    static func nextBlock(_ b: PackedMatrix, p: Int, k0: Int, p0: Int, p1: Int) -> (start: UnsafePointer<Float>, lines: Int)? {
        let (panel, depth) = p + 1 < p1 ? (p + 1, k0) : (p0, k0 + kc)
        guard depth < b.k else { return nil }
        let kLen = min(kc, b.k - depth)
        return (UnsafePointer(b.data) + panel * b.k * nr + depth * nr, kLen * nr * 4 / 64)
    }

    /// One 6x16 tile over `kLen` steps of k; rows/cols below 6/16 at the matrix edges.
    @inline(__always)
    static func tile(
        _ kLen: Int, a: UnsafePointer<Float>, lda: Int, panel: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, cols: Int, accumulate: Bool
    ) {
        // Missing rows read row 0 again and are never stored.
        let a0 = a, a1 = rows > 1 ? a + lda : a, a2 = rows > 2 ? a + 2 * lda : a
        let a3 = rows > 3 ? a + 3 * lda : a, a4 = rows > 4 ? a + 4 * lda : a, a5 = rows > 5 ? a + 5 * lda : a
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var bp = UnsafeRawPointer(panel)
        for k in 0..<kLen {
            let b0 = bp.load(as: SIMD8<Float>.self), b1 = bp.load(fromByteOffset: 32, as: SIMD8<Float>.self)
            var x = SIMD8<Float>(repeating: a0[k])
            c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a1[k])
            c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a2[k])
            c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a3[k])
            c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a4[k])
            c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a5[k])
            c50.addProduct(x, b0); c51.addProduct(x, b1)
            bp += 64
        }
        store(c00, c01, to: c, cols: cols, accumulate: accumulate)
        if rows > 1 { store(c10, c11, to: c + ldc, cols: cols, accumulate: accumulate) }
        if rows > 2 { store(c20, c21, to: c + 2 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 3 { store(c30, c31, to: c + 3 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 4 { store(c40, c41, to: c + 4 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 5 { store(c50, c51, to: c + 5 * ldc, cols: cols, accumulate: accumulate) }
    }

    @inline(__always)
    static func store(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, to row: UnsafeMutablePointer<Float>, cols: Int, accumulate: Bool) {
        if cols == 16 {
            let p = UnsafeMutableRawPointer(row)
            if accumulate {
                p.storeBytes(of: lo + p.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                p.storeBytes(of: hi + p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), toByteOffset: 32, as: SIMD8<Float>.self)
            } else {
                p.storeBytes(of: lo, as: SIMD8<Float>.self)
                p.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
            }
            return
        }
        for j in 0..<cols {
            let v = j < 8 ? lo[j] : hi[j - 8]
            row[j] = accumulate ? row[j] + v : v
        }
    }
}
