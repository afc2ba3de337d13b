import CKernelSupport

/// Our own SGEMM for `C[M, N] = A[M, K] * B[N, K]^T` with B (the weights) packed once when
/// the engine is built, so no call ever repacks weights (OpenBLAS repacks both operands on
/// every call). A 6x16 register tile: per step of k, two 8-wide loads of packed B, six
/// broadcasts of A, twelve FMAs into twelve independent accumulators (FMA latency 4 x 2
/// pipes needs at least 8). On a CPU with AVX-512 a 12x32 tile takes two row tiles and two
/// panels at a time with 16-wide registers (`AVX512`, `archc_gemm_tile_avx512`): twice the
/// work per FMA, the same sums in the same order. K is cut into the fewest equal depth blocks of at most
/// `maxDepthBlock` (`depthBlock(k:)`), so a B panel block (at most 32 KiB) stays in or near
/// L1 while A's rows stream from L2.
public enum PackedGemm {
    public static let mr = 6
    public static let nr = 16
    /// The depth other kernels hold in one block (the fused expand+depthwise's expand, the
    /// fused Winograd path's channels).
    public static let kc = 256
    /// The GEMM's deepest block. Each depth block after the first reads C back and adds to it:
    /// 512 against 256 measured 2-6% faster (fewer passes over C) on the models' 1x1 and 3x3
    /// shapes, alternated in one process (docs/performance.md, 2026-12-04 morning).
    static let maxDepthBlock = 512

    /// True when a product of depth `k` writes each element of C once, in its last store, and
    /// reads that element's residual only there: one depth block (with more, C holds partial
    /// sums between blocks). Then C may be the residual's own memory (`KernelPlan.inPlaceResiduals`).
    public static func storesOnce(k: Int) -> Bool { k <= maxDepthBlock }

    /// The depth block for K: the fewest blocks of at most `maxDepthBlock`, of nearly equal
    /// length rounded up to a multiple of 8 (the last one takes the rest). Fixed by K alone:
    /// the same sums in the same order on any thread count. A multiple of 8 starts each block
    /// on a 32-byte boundary of a row, and being even it keeps the one-row and half-panel
    /// tiles' pairs of k the same whether a conv's rows come gathered or in place (even Cin).
    static func depthBlock(k: Int) -> Int {
        let blocks = max(1, (k + maxDepthBlock - 1) / maxDepthBlock)
        return ((k + blocks - 1) / blocks + 7) / 8 * 8
    }

    /// Rows per block: an A block of 144 rows x one depth block (144-288 KiB) stays in L2 while every B
    /// panel of the chunk passes over it (at batch 8 all of A is 1.6 MiB and would stream from L3).
    public static let mc = 144
    /// `maxDepthBlock` zeros: the row an implicit im2col reads where a tap falls on padding.
    static let zeros: UnsafeMutablePointer<Float> = {
        let p = AlignedMemory.floats(maxDepthBlock)
        p.update(repeating: 0, count: maxDepthBlock)
        return p
    }()

    /// B packed as panels of 16 columns: panel p holds k-major [K][16], zero-padded past N.
    public struct PackedMatrix {
        public let n: Int
        public let k: Int
        public let data: UnsafeMutablePointer<Float>
        public var panels: Int { (n + PackedGemm.nr - 1) / PackedGemm.nr }
        public var floats: Int { PackedGemm.packedFloats(n: n, k: k) }
    }

    /// Packs row-major weights [N, K] (one output channel per row) into 64-byte aligned
    /// memory; the caller owns `data` (free with `AlignedMemory.free`).
    public static func pack(_ b: UnsafePointer<Float>, n: Int, k: Int) -> PackedMatrix {
        pack(b, n: n, k: k, into: AlignedMemory.floats(packedFloats(n: n, k: k)))
    }

    /// Floats the packed form of [N, K] weights takes.
    public static func packedFloats(n: Int, k: Int) -> Int { (n + nr - 1) / nr * k * nr }

    /// Packs into `data` (64-byte aligned, `packedFloats(n:k:)` floats), which the caller owns.
    public static func pack(_ b: UnsafePointer<Float>, n: Int, k: Int, into data: UnsafeMutablePointer<Float>) -> PackedMatrix {
        let panels = (n + nr - 1) / nr
        data.update(repeating: 0, count: panels * k * nr)
        for p in 0..<panels {
            let panel = data + p * k * nr
            for j in 0..<min(nr, n - p * nr) {
                let row = b + (p * nr + j) * k
                for kk in 0..<k { panel[kk * nr + j] = row[kk] }
            }
        }
        return PackedMatrix(n: n, k: k, data: data)
    }

    /// A rectangle of C a chunk computes: rows [r0, r1), panels [p0, p1).
    struct Block {
        let r0: Int, r1: Int, p0: Int, p1: Int
    }

    /// The work split, fixed by the shape alone so results do not depend on the thread count.
    /// Each part is a list of blocks; the pool runs part i on the same thread for every call.
    ///
    /// When A is the larger operand (M > N, at least 24 tiles: ResNet's 56x56 and 28x28
    /// layers, batch 8): an even number of parts with equal shares of the 6-row tiles, a tile
    /// that straddles two parts split between them by panels. A part reads only its rows of
    /// A, once, while they stay in cache for all panels; the rows one layer writes on a core
    /// are the rows the next one reads there; C and the residual stream row by row.
    ///
    /// Otherwise (the robust models' 14x14 and 7x7 layers at batch 1, where the weights are the
    /// larger operand): column chunks of whole panels, so each weight is read by one core.
    /// (Row parts measured 10-25% slower there: every core streamed all the weights.)
    /// Below this many 6-row tiles A is too short to split by rows: column chunks keep both
    /// cores busy instead.
    static let minTilesForRowParts = 24
    /// Row parts come in pairs, one pair per this many tiles (rounded to nearest): an even
    /// count gives 2 cores equal shares, and ~16 tiles (96 rows) per part keep a part's pass
    /// over all the weight panels long enough to amortise reading them.
    static let tilesPerRowPartPair = 32
    /// Column chunks span at least 2 panels (32 columns of C) each, so a chunk reuses the
    /// rows of A it loads over more than one panel...
    static let minPanelsPerColumnChunk = 2
    /// ...and there are at most 48: enough for the pool to balance leftovers on any thread
    /// count, few enough that the per-chunk hand-off stays small next to the work.
    static let maxColumnChunks = 48
    /// A row-part block writes at most this much of C (rows x its panels' 16 columns) before
    /// it moves on: with K above one depth block, C holds partial sums between depth blocks,
    /// and a part's rows across a wide layer (about 96 rows x 1536 columns, 590 KB at batch 8:
    /// DeiT-S's fc1 when its K = 384 took two blocks of 256) left L2 between them. Wider
    /// blocks are cut into panel groups, each
    /// still reading the part's rows of A (which stay in L2) once per depth block.
    static let maxBlockBytesOfC = 256 * 1024

    static func split(m: Int, n: Int, panels: Int) -> [[Block]] {
        let tiles = (m + mr - 1) / mr
        if m > n && tiles >= minTilesForRowParts {
            let parts = 2 * max(1, (tiles + tilesPerRowPartPair / 2) / tilesPerRowPartPair)
            // Part i covers [i * units / parts, (i + 1) * units / parts) in units of one
            // panel of one tile.
            let units = tiles * panels
            let row = { (t: Int) in min(m, t * mr) }
            return (0..<parts).map { i in
                let u0 = i * units / parts, u1 = (i + 1) * units / parts
                let (t0, q0) = (u0 / panels, u0 % panels), (t1, q1) = (u1 / panels, u1 % panels)
                if t0 == t1 { return [Block(r0: row(t0), r1: row(t0 + 1), p0: q0, p1: q1)] }
                var blocks: [Block] = []
                // The rest of a tile the previous part began, whole tiles, the start of a tile
                // the next part finishes.
                if q0 > 0 { blocks.append(Block(r0: row(t0), r1: row(t0 + 1), p0: q0, p1: panels)) }
                let whole = q0 > 0 ? t0 + 1 : t0
                if t1 > whole { blocks.append(Block(r0: row(whole), r1: row(t1), p0: 0, p1: panels)) }
                if q1 > 0 { blocks.append(Block(r0: row(t1), r1: row(t1 + 1), p0: 0, p1: q1)) }
                return blocks.flatMap(panelGroups)
            }
        }
        let cols = max(1, min(maxColumnChunks, panels / minPanelsPerColumnChunk))
        return (0..<cols).map { cc in [Block(r0: 0, r1: m, p0: cc * panels / cols, p1: (cc + 1) * panels / cols)] }
    }

    /// A block cut into equal groups of whole panels, each writing at most `maxBlockBytesOfC`
    /// of C (the block itself when it does). Fixed by the shape, and every element of C keeps
    /// its depth blocks in the same order, so the results are the same bits.
    static func panelGroups(_ block: Block) -> [Block] {
        let panels = block.p1 - block.p0
        let bytes = (block.r1 - block.r0) * panels * nr * MemoryLayout<Float>.size
        let groups = min(panels, max(1, (bytes + maxBlockBytesOfC - 1) / maxBlockBytesOfC))
        return (0..<groups).map { g in
            Block(r0: block.r0, r1: block.r1, p0: block.p0 + g * panels / groups, p1: block.p0 + (g + 1) * panels / groups)
        }
    }

    /// `C = epilogue(A * B^T)`, with `residual` (if any) laid out as C.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, _ b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: EpilogueKernel, residual: UnsafePointer<Float>?, pool: WorkerPool
    ) {
        multiply(m: m, rows: DenseRows(a: a, lda: lda), b, c: c, ldc: ldc, epilogue: epilogue, residual: residual, pool: pool)
    }

    /// The GEMM with A's rows from `rows`: a dense matrix, or a convolution's input read in
    /// place (`ConvRows`, an implicit im2col).
    static func multiply<Rows: GemmRows>(
        m: Int, rows source: Rows, _ b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: EpilogueKernel, residual: UnsafePointer<Float>?, pool: WorkerPool
    ) {
        let parts = split(m: m, n: b.n, panels: b.panels)
        let depth = depthBlock(k: b.k)
        let maxSegments = source.maxSegments(kc: depth)
        let (activation, postActivation) = epilogue.activationCodes
        // The kernel set, read once: every step of this call runs on the same one.
        let wide = AVX512.enabled
        let packedEnd = UnsafePointer(b.data) + b.panels * b.k * nr
        pool.run(chunks: parts.count) { part in
            // In the thread's scratch: the 512-bit tile's sums (two tiles of two panels) on their
            // way to the epilogue; per row block and depth block, the segments' lengths and for
            // every tile the six rows' pointers per segment, found once and reused by all panels.
            let tilesPerBlock = (mc + mr - 1) / mr, sumFloats = 2 * mr * 2 * nr
            let pointerCount = tilesPerBlock * maxSegments * mr
            let (base, owned) = AlignedMemory.threadScratch(.gemm, bytes: sumFloats * 4 + (maxSegments + pointerCount) * 8)
            defer { if owned { AlignedMemory.free(base) } }
            let sums = base.bindMemory(to: Float.self, capacity: sumFloats)
            let lengths = (base + sumFloats * 4).bindMemory(to: Int.self, capacity: maxSegments)
            let pointers = (base + sumFloats * 4 + maxSegments * 8).bindMemory(to: UnsafePointer<Float>.self, capacity: pointerCount)
            // After its last panel block a block prefetches the first one of the block after it:
            // the part's next, or the next part's first, which this thread most often runs next
            // (the pool hands out contiguous ranges).
            let blocks = parts[part] + (part + 1 < parts.count ? parts[part + 1].prefix(1) : [])
            for (index, block) in blocks.enumerated() where index < parts[part].count && block.r1 > block.r0 && block.p1 > block.p0 {
                let following = index + 1 < blocks.count ? firstBlock(b, p: blocks[index + 1].p0, depth: depth) : nil
                let (r0, r1, p0, p1) = (block.r0, block.r1, block.p0, block.p1)
                var k0 = 0
                while k0 < b.k {
                    let kLen = min(depth, b.k - k0)
                    let segments = source.segments(k0: k0, kLen: kLen, lengths: lengths)
                    var m0 = r0
                    while m0 < r1 {
                        let m1 = min(r1, m0 + mc)
                        let tiles = (m1 - m0 + mr - 1) / mr
                        for t in 0..<tiles {
                            let r = m0 + t * mr
                            let table = pointers + t * segments * mr
                            for i in 0..<mr {
                                // Missing rows read row r again and are never stored.
                                source.pointers(row: r + i < m1 ? r + i : r, k0: k0, segments: segments, lengths: lengths, into: table + i, stride: mr)
                            }
                        }
                        // When the block's weights fit in half of L2, each tile of rows runs over all
                        // the panels in turn (C and the residual written and read row by row, the
                        // weights from L2, and from memory in one sequential pass by the first
                        // tile); otherwise each step of panels runs over all the tiles, its weights in L1.
                        let rowsOuter = runsRowsOuter(depth: kLen, panels: p1 - p0)
                        // Panels per step: the 512-bit tile takes two at a time.
                        let width = wide ? 2 : 1
                        let steps = (p1 - p0 + width - 1) / width
                        // Row tiles per step: the 512-bit tile takes two at a time.
                        let tileWidth = wide ? 2 : 1
                        let tileSteps = (tiles + tileWidth - 1) / tileWidth
                        let (outer, inner) = rowsOuter ? (tileSteps, steps) : (steps, tileSteps)
                        for o in 0..<outer {
                            // Weights come from memory once per call (a model's do not fit in the
                            // caches): while a step's panel blocks are used, the next step's are
                            // prefetched, a share of their lines before each step of row tiles.
                            let next =
                                m0 == r0 && !rowsOuter
                                ? nextBlock(b, p: min(p1, p0 + (o + 1) * width) - 1, k0: k0, p0: p0, p1: p1, depth: depth) ?? following : nil
                            let lines = next.map { $0.lines * width } ?? 0
                            let linesPerStep = (lines + tileSteps - 1) / tileSteps
                            var line = 0
                            for i in 0..<inner {
                                if let next {
                                    let end = min(lines, line + linesPerStep)
                                    while line < end {
                                        // A step's second panel block starts one panel (k * 16 floats) after its first
                                        // (past the last panel: nothing to fetch).
                                        let (panel, offset) = line < next.lines ? (0, line) : (1, line - next.lines)
                                        let start = next.start + panel * b.k * nr
                                        if start < packedEnd { archc_prefetch_l2(UnsafeRawPointer(start) + offset * 64) }
                                        line += 1
                                    }
                                }
                                let (tileStep, step) = rowsOuter ? (o, i) : (i, o)
                                let firstTile = tileStep * tileWidth, lastTile = min(tiles, firstTile + tileWidth)
                                let first = p0 + step * width, last = min(p1, first + width)
                                // The 512-bit tile takes the step's tiles and panels but a one-row tail (M = 49 =
                                // 8 x 6 + 1 at 7x7: a full 6-row tile would cost 6x) and a last panel of at most 8
                                // columns (N = 24, 40, 1000), which the AVX2 half tile sums in another order.
                                let oneRowTail = m1 - (m0 + (lastTile - 1) * mr) == 1
                                let wideTiles = wide ? lastTile - firstTile - (oneRowTail ? 1 : 0) : 0
                                let widePanels = wideTiles > 0 ? last - first - (b.n - (last - 1) * nr <= 8 ? 1 : 0) : 0
                                // Whole panels the 512-bit tile finishes and stores itself; a last panel of 9-15
                                // columns goes through `TileOutput`.
                                var stored = false
                                if widePanels > 0 {
                                    let panel = UnsafePointer(b.data) + first * b.k * nr + k0 * nr
                                    let table = pointers + firstTile * segments * mr
                                    let r = m0 + firstTile * mr
                                    if (first + widePanels) * nr <= b.n {
                                        var output = archc_gemm_output(
                                            c: c + r * ldc + first * nr, ldc: ldc, bias: epilogue.bias.map { $0 + first * nr },
                                            residual: residual.map { $0 + r * ldc + first * nr }, rows: min(wideTiles * mr, m1 - r), accumulate: k0 > 0 ? 1 : 0,
                                            last: k0 + kLen == b.k ? 1 : 0, activation: activation, post_activation: postActivation)
                                        archc_gemm_tile_avx512(segments, lengths, table, wideTiles, segments * mr, panel, b.k * nr, widePanels, sums, &output)
                                        stored = true
                                    } else {
                                        archc_gemm_tile_avx512(segments, lengths, table, wideTiles, segments * mr, panel, b.k * nr, widePanels, sums, nil)
                                    }
                                }
                                if stored && wideTiles == lastTile - firstTile && widePanels == last - first { continue }
                                for t in firstTile..<lastTile {
                                    let r = m0 + t * mr
                                    let table = pointers + t * segments * mr
                                    let rows = min(mr, m1 - r)
                                    for p in first..<last {
                                        let panel = UnsafePointer(b.data) + p * b.k * nr + k0 * nr
                                        let out = TileOutput(
                                            c: c + r * ldc + p * nr, ldc: ldc, rows: rows, cols: min(nr, b.n - p * nr), accumulate: k0 > 0,
                                            last: k0 + kLen == b.k, epilogue: epilogue, bias: epilogue.bias.map { $0 + p * nr },
                                            residual: residual.map { $0 + r * ldc + p * nr })
                                        if t - firstTile < wideTiles && p - first < widePanels {
                                            if !stored { out.store(sums: sums + (t - firstTile) * mr * 2 * nr + (p - first) * nr, stride: 2 * nr) }
                                        } else if rows == 1 {
                                            tileRow(segments: segments, lengths: lengths, pointers: table, panel: panel, out: out)
                                        } else if out.cols <= 8 {
                                            // A last panel of at most 8 columns would cost a 16-wide tile.
                                            tileHalf(segments: segments, lengths: lengths, pointers: table, panel: panel, out: out)
                                        } else {
                                            tile(segments: segments, lengths: lengths, pointers: table, panel: panel, out: out)
                                        }
                                    }
                                }
                            }
                        }
                        m0 = m1
                    }
                    k0 += kLen
                }
            }
        }
    }

    /// At most this many bytes of weights in a block (its panels at one depth block) and its
    /// row tiles run over all of its panels in turn (the block's weights stay in L2 while each
    /// tile's rows stay in L1); above, each panel over all of its tiles. The loop order changes
    /// no sum. This machine's L2 per core less 256 KiB (room for the tile's rows, C's rows
    /// and the next block's prefetched weights), at least 256 KiB (`rowsOuterLimit`):
    /// - Zen 3 (512 KiB of L2), 256 KiB against 16 KiB (L1), alternating the two in one
    ///   process: ResNet-50 3-4% faster at batch 1 and 8, its layer4 and Winograd layer3 8-14%
    ///   (cold weights: one sequential pass instead of a panel at a time); the robust models,
    ///   Lite0 and DeiT-S unchanged.
    /// - Zen 4 (1 MiB), 768 KiB against 256 KiB (per-layer minima over alternated processes):
    ///   the robust models' pointwise convs at batch 8 2.5-5% faster (Robust-ResNet-DW-Small's
    ///   338-341 against 355 ms, 1 MiB the same, 2 and 8 MiB 346-347), ResNet-50 unchanged.
    /// A variable only so tests can run both orders on chosen shapes whatever the machine.
    nonisolated(unsafe) static var rowsOuterBytesOfB = rowsOuterLimit(l2Bytes: archc_l2_cache_bytes())

    /// `rowsOuterBytesOfB` for an L2 of `l2Bytes` per core (0: unknown, taken as 512 KiB;
    /// reports above 4 MiB taken as 4 MiB).
    static func rowsOuterLimit(l2Bytes: Int) -> Int {
        let l2 = l2Bytes > 0 ? min(l2Bytes, 4 << 20) : 512 << 10
        return max(256 << 10, l2 - (256 << 10))
    }

    /// Whether a block of `panels` panels at a depth block of `depth` runs its row tiles over
    /// all its panels in turn (`rowsOuterBytesOfB`).
    static func runsRowsOuter(depth: Int, panels: Int) -> Bool {
        depth * panels * nr * MemoryLayout<Float>.size <= rowsOuterBytesOfB
    }

    /// The panel block a chunk uses after panel `p` at depth `k0`: the next panel, or the
    /// chunk's first panel at the next depth block; its 64-byte lines.
    @inline(__always)
    static func nextBlock(_ b: PackedMatrix, p: Int, k0: Int, p0: Int, p1: Int, depth: Int) -> (start: UnsafePointer<Float>, lines: Int)? {
        let (panel, start) = p + 1 < p1 ? (p + 1, k0) : (p0, k0 + depth)
        guard start < b.k else { return nil }
        return block(b, panel: panel, start: start, depth: depth)
    }

    /// Panel `p`'s first depth block and its 64-byte lines.
    @inline(__always)
    static func firstBlock(_ b: PackedMatrix, p: Int, depth: Int) -> (start: UnsafePointer<Float>, lines: Int) {
        block(b, panel: p, start: 0, depth: depth)
    }

    /// The depth block of `panel` that starts at `start` (of `depth` k, fewer at the end), and its 64-byte lines.
    @inline(__always)
    static func block(_ b: PackedMatrix, panel: Int, start: Int, depth: Int) -> (start: UnsafePointer<Float>, lines: Int) {
        (UnsafePointer(b.data) + panel * b.k * nr + start * nr, min(depth, b.k - start) * nr * 4 / 64)
    }

    /// One 6x16 tile over the segments of a depth block: segment s has `lengths[s]` steps of
    /// k, and row i of the tile reads it from `pointers[s * 6 + i]`. Rows/cols below 6/16 at
    /// the matrix edges are computed but not stored.
    @inline(__always)
    static func tile(
        segments: Int, lengths: UnsafePointer<Int>, pointers: UnsafePointer<UnsafePointer<Float>>, panel: UnsafePointer<Float>, out: TileOutput
    ) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var bp = UnsafeRawPointer(panel)
        for s in 0..<segments {
            let row = pointers + s * mr
            let a0 = row[0], a1 = row[1], a2 = row[2], a3 = row[3], a4 = row[4], a5 = row[5]
            for k in 0..<lengths[s] {
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
        }
        // The rows leave through one copy of the epilogue in a loop (from the stack, in L1):
        // six inlined copies (each with every activation's code, GELU's included) measured
        // 0-4% slower on the models' shapes (most at K = 64), ResNet-50 about 1%.
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * mr) { rows in
            rows[0] = c00; rows[1] = c01; rows[2] = c10; rows[3] = c11; rows[4] = c20; rows[5] = c21
            rows[6] = c30; rows[7] = c31; rows[8] = c40; rows[9] = c41; rows[10] = c50; rows[11] = c51
            for i in 0..<out.rows { out.store(rows[2 * i], rows[2 * i + 1], row: i) }
        }
    }

    /// `tile` for a single row: two accumulators per half, alternating over k so that FMA
    /// latency does not serialise the loop.
    @inline(__always)
    static func tileRow(
        segments: Int, lengths: UnsafePointer<Int>, pointers: UnsafePointer<UnsafePointer<Float>>, panel: UnsafePointer<Float>, out: TileOutput
    ) {
        var lo0 = SIMD8<Float>(), hi0 = SIMD8<Float>(), lo1 = SIMD8<Float>(), hi1 = SIMD8<Float>()
        var bp = UnsafeRawPointer(panel)
        for s in 0..<segments {
            let a = pointers[s * mr]
            let count = lengths[s]
            var k = 0
            while k + 1 < count {
                var x = SIMD8<Float>(repeating: a[k])
                lo0.addProduct(x, bp.load(as: SIMD8<Float>.self)); hi0.addProduct(x, bp.load(fromByteOffset: 32, as: SIMD8<Float>.self))
                x = SIMD8<Float>(repeating: a[k + 1])
                lo1.addProduct(x, bp.load(fromByteOffset: 64, as: SIMD8<Float>.self)); hi1.addProduct(x, bp.load(fromByteOffset: 96, as: SIMD8<Float>.self))
                bp += 128
                k += 2
            }
            if k < count {
                let x = SIMD8<Float>(repeating: a[k])
                lo0.addProduct(x, bp.load(as: SIMD8<Float>.self)); hi0.addProduct(x, bp.load(fromByteOffset: 32, as: SIMD8<Float>.self))
                bp += 64
            }
        }
        out.store(lo0 + lo1, hi0 + hi1, row: 0)
    }

    /// `tile` for a panel's first 8 columns: six rows, two accumulators per row alternating
    /// over k (six chains of 4-cycle FMAs would leave the two FMA pipes a quarter idle).
    @inline(__always)
    static func tileHalf(
        segments: Int, lengths: UnsafePointer<Int>, pointers: UnsafePointer<UnsafePointer<Float>>, panel: UnsafePointer<Float>, out: TileOutput
    ) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
        var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>(), d3 = SIMD8<Float>(), d4 = SIMD8<Float>(), d5 = SIMD8<Float>()
        var bp = UnsafeRawPointer(panel)
        for s in 0..<segments {
            let row = pointers + s * mr
            let a0 = row[0], a1 = row[1], a2 = row[2], a3 = row[3], a4 = row[4], a5 = row[5]
            let count = lengths[s]
            var k = 0
            while k + 1 < count {
                let b0 = bp.load(as: SIMD8<Float>.self), b1 = bp.load(fromByteOffset: 64, as: SIMD8<Float>.self)
                c0.addProduct(SIMD8(repeating: a0[k]), b0); d0.addProduct(SIMD8(repeating: a0[k + 1]), b1)
                c1.addProduct(SIMD8(repeating: a1[k]), b0); d1.addProduct(SIMD8(repeating: a1[k + 1]), b1)
                c2.addProduct(SIMD8(repeating: a2[k]), b0); d2.addProduct(SIMD8(repeating: a2[k + 1]), b1)
                c3.addProduct(SIMD8(repeating: a3[k]), b0); d3.addProduct(SIMD8(repeating: a3[k + 1]), b1)
                c4.addProduct(SIMD8(repeating: a4[k]), b0); d4.addProduct(SIMD8(repeating: a4[k + 1]), b1)
                c5.addProduct(SIMD8(repeating: a5[k]), b0); d5.addProduct(SIMD8(repeating: a5[k + 1]), b1)
                bp += 128
                k += 2
            }
            if k < count {
                let b0 = bp.load(as: SIMD8<Float>.self)
                c0.addProduct(SIMD8(repeating: a0[k]), b0)
                c1.addProduct(SIMD8(repeating: a1[k]), b0)
                c2.addProduct(SIMD8(repeating: a2[k]), b0)
                c3.addProduct(SIMD8(repeating: a3[k]), b0)
                c4.addProduct(SIMD8(repeating: a4[k]), b0)
                c5.addProduct(SIMD8(repeating: a5[k]), b0)
                bp += 64
            }
        }
        out.store(c0 + d0, row: 0)
        if out.rows > 1 { out.store(c1 + d1, row: 1) }
        if out.rows > 2 { out.store(c2 + d2, row: 2) }
        if out.rows > 3 { out.store(c3 + d3, row: 3) }
        if out.rows > 4 { out.store(c4 + d4, row: 4) }
        if out.rows > 5 { out.store(c5 + d5, row: 5) }
    }

    /// Where a tile's accumulators go: added to C after the first depth block, and after the
    /// last one finished in registers (bias, activation, residual, post-activation) before
    /// the only store of the final values, so no second pass reads C back.
    struct TileOutput {
        let c: UnsafeMutablePointer<Float>
        let ldc: Int
        let rows: Int
        let cols: Int
        let accumulate: Bool
        let last: Bool
        let epilogue: EpilogueKernel
        /// The tile's first column of bias, and its origin in the residual (laid out as C).
        let bias: UnsafePointer<Float>?
        let residual: UnsafePointer<Float>?

        @inline(__always)
        func store(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, row i: Int) {
            let row = c + i * ldc
            if cols == 16 {
                let p = UnsafeMutableRawPointer(row)
                var lo = lo, hi = hi
                if accumulate {
                    lo += archc_load8(row)
                    hi += archc_load8(row + 8)
                }
                if last {
                    if let bias {
                        lo += archc_load8(bias)
                        hi += archc_load8(bias + 8)
                    }
                    let res = residual.map { $0 + i * ldc }
                    lo = epilogue.finish(lo, residual: res)
                    hi = epilogue.finish(hi, residual: res.map { $0 + 8 })
                }
                p.storeBytes(of: lo, as: SIMD8<Float>.self)
                p.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
                return
            }
            store(columns: lo, hi, row: i)
        }

        /// Every row of the tile from a buffer of sums (row i's 16 at `sums + i * stride`).
        @inline(__always)
        func store(sums: UnsafePointer<Float>, stride: Int) {
            for i in 0..<rows { store(archc_load8(sums + i * stride), archc_load8(sums + i * stride + 8), row: i) }
        }

        /// The first 8 columns of a row (`cols` <= 8), of a half-panel tile.
        @inline(__always)
        func store(_ v: SIMD8<Float>, row i: Int) {
            if cols == 8 {
                let row = c + i * ldc
                var v = v
                if accumulate { v += archc_load8(row) }
                if last {
                    if let bias { v += archc_load8(bias) }
                    v = epilogue.finish(v, residual: residual.map { $0 + i * ldc })
                }
                UnsafeMutableRawPointer(row).storeBytes(of: v, as: SIMD8<Float>.self)
                return
            }
            store(columns: v, SIMD8(), row: i)
        }

        /// Row `i`'s `cols` columns, one at a time (a narrow last panel's).
        @inline(never)
        func store(columns lo: SIMD8<Float>, _ hi: SIMD8<Float>, row i: Int) {
            let row = c + i * ldc
            for j in 0..<cols {
                var v = j < 8 ? lo[j] : hi[j - 8]
                if accumulate { v += row[j] }
                if last {
                    if let bias { v += bias[j] }
                    v = epilogue.finish(v, residual: residual.map { $0[i * ldc + j] })
                }
                row[j] = v
            }
        }
    }
}

/// Where the packed GEMM reads A's rows for a depth block [k0, k0 + kLen): one or more
/// segments, each contiguous in memory for every row.
protocol GemmRows {
    /// Most segments any depth block of at most `kc` k can have.
    func maxSegments(kc: Int) -> Int
    /// Writes the segments' lengths; returns how many.
    func segments(k0: Int, kLen: Int, lengths: UnsafeMutablePointer<Int>) -> Int
    /// Writes row `row`'s pointer for each segment, `stride` apart.
    func pointers(row: Int, k0: Int, segments: Int, lengths: UnsafePointer<Int>, into: UnsafeMutablePointer<UnsafePointer<Float>>, stride: Int)
}

/// Rows made of contiguous runs of `run` floats (a tap's channels, a kernel row): a depth
/// block splits into a segment wherever it crosses the end of a run.
protocol RunGemmRows: GemmRows {
    var run: Int { get }
}

extension RunGemmRows {
    func maxSegments(kc: Int) -> Int { (kc + run - 1) / run + 1 }

    @inline(__always)
    func segments(k0: Int, kLen: Int, lengths: UnsafeMutablePointer<Int>) -> Int {
        var k = k0, count = 0
        while k < k0 + kLen {
            let end = min(k0 + kLen, (k / run + 1) * run)
            lengths[count] = end - k
            count += 1
            k = end
        }
        return count
    }
}

/// A row-major matrix: one segment per depth block.
struct DenseRows: GemmRows {
    let a: UnsafePointer<Float>
    let lda: Int

    func maxSegments(kc: Int) -> Int { 1 }

    @inline(__always)
    func segments(k0: Int, kLen: Int, lengths: UnsafeMutablePointer<Int>) -> Int {
        lengths[0] = kLen
        return 1
    }

    @inline(__always)
    func pointers(row: Int, k0: Int, segments: Int, lengths: UnsafePointer<Int>, into: UnsafeMutablePointer<UnsafePointer<Float>>, stride: Int) {
        into[0] = a + row * lda + k0
    }
}
