import CKernelSupport

/// An inverted-residual block's expand 1x1 conv and the depthwise conv that reads it, fused:
/// the wide map between them is never written to memory.
///
/// Unfused, EfficientNet-Lite0's first expand conv writes 96 x 112 x 112 floats (4.8 MB per
/// image), which leave L2 before the depthwise conv copies them back, one 16-channel block
/// at a time, into its zero-padded buffer (`DepthwiseKernel.BufferLayout`): that copy, waiting
/// on L3, was about 40% of the depthwise time. Here each chunk (image, segment of output
/// rows, 16-channel block) computes its block's expand output for a band of input rows
/// straight into that buffer, then runs the depthwise kernel on it (`DepthwiseKernel.compute`,
/// the same code as unfused), and slides down the segment: the rows the next band shares
/// with this one (the kernel's halo) move to the top of the buffer instead of being computed
/// again. The buffer (a band of about 32 KiB) stays in L1, the panel of expand weights
/// (K x 16) too, and the segment's input rows in L2 while the blocks pass over them.
///
/// The expand is the packed GEMM's 6x16 tile (`PackedGemm.tile`'s arithmetic: one FMA chain
/// per element over k from zero, then bias and activation as `PackedGemm.TileOutput` applies them),
/// six pixels in a row of the band's pixels whose results go to their own columns of the
/// buffer; so every value is the bits of the unfused GEMM's tile (the unfused GEMM's one-row
/// tail tile, at M = 6q + 1, sums in two chains), and the depthwise output the unfused one's.
/// No value depends on how the rows are split into segments or bands: results are the same
/// bits for any thread count.
public enum ExpandDepthwiseKernel {
    /// Whether the pair (a 1x1 conv, then a depthwise conv reading only its output) can run
    /// fused: the expand's depth within one GEMM depth block (mobile blocks: 16-192), its
    /// channels whole 16-channel blocks, the depthwise one output per channel, undilated.
    public static func supports(expand e: ConvGeometry, depthwise g: ConvGeometry) -> Bool {
        e.isPointwise && e.inC <= PackedGemm.kc && e.outC % DepthwiseKernel.block == 0 && g.isDepthwise && g.outC == g.inC
            && g.inC == e.outC && g.inH == e.outH && g.inW == e.outW && g.dilationH == 1 && g.dilationW == 1
    }

    /// `y = depthwise(expand(x))`: x the expand's input [N][H][W][Cin], `expandWeight` its
    /// packed GEMM weights [Cexp, Cin] (no residual in its epilogue), `weight` the depthwise
    /// weights packed by `DepthwiseKernel.pack`, `y` and `residual` [N][OH][OW][Cexp].
    public static func run(
        expand e: ConvGeometry, x: UnsafePointer<Float>, expandWeight: GemmWeights, expandEpilogue: EpilogueKernel,
        depthwise g: ConvGeometry, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
        epilogue: EpilogueKernel, pool: WorkerPool
    ) {
        let packed = expandWeight.packed!
        let block = DepthwiseKernel.block
        let blocks = g.outC / block
        let layout = DepthwiseKernel.BufferLayout(g)
        let segments = segmentCount(g, layout, blocks: blocks, threads: pool.threads)
        let segmentRows = (g.outH + segments - 1) / segments
        let span = (g.kh - 1) * g.dilationH + 1
        // Input rows a band reads at most.
        let capacity = min(g.inH, (layout.bandRows - 1) * g.strideH + span)
        let rowFloats = layout.columns * block
        pool.run(chunks: g.batch * segments * blocks) { chunk in
            // Chunk = (image, segment, block), blocks innermost: a thread's contiguous range of
            // chunks reads the same input rows for every block.
            let b = chunk % blocks, segment = chunk / blocks % segments, n = chunk / blocks / segments
            let rows = segment * segmentRows..<min(g.outH, (segment + 1) * segmentRows)
            guard !rows.isEmpty else { return }
            let buffer = AlignedMemory.floats(max(1, capacity * rowFloats))
            defer { AlignedMemory.free(buffer) }
            // Columns on horizontal padding stay zero: bands write only the image's columns and
            // move whole rows.
            buffer.update(repeating: 0, count: max(1, capacity * rowFloats))
            let band = ExpandBand(
                e: e, x: x + n * e.inH * e.inW * e.inC, panel: UnsafePointer(packed.data) + b * packed.k * block, epilogue: expandEpilogue,
                bias: expandEpilogue.bias.map { $0 + b * block }, buffer: buffer, rowFloats: rowFloats, padLeft: g.padLeft)
            var held = 0..<0  // input rows in the buffer, from its first row
            for o0 in stride(from: rows.lowerBound, to: rows.upperBound, by: layout.bandRows) {
                let outRows = o0..<min(rows.upperBound, o0 + layout.bandRows)
                let need = layout.inputRows(outRows)
                let keepFrom = max(need.lowerBound, held.lowerBound), kept = max(0, held.upperBound - keepFrom)
                if kept > 0, keepFrom > held.lowerBound {
                    // Row by row, forwards: a row never overlaps the one it is copied from.
                    for r in 0..<kept {
                        (buffer + r * rowFloats).update(from: buffer + (keepFrom - held.lowerBound + r) * rowFloats, count: rowFloats)
                    }
                }
                band.expand(rows: need.lowerBound + kept..<need.upperBound, firstRow: need.lowerBound)
                held = need
                DepthwiseKernel.compute(
                    g, layout, rows: outRows, image: n, c0: b * block, width: block, buffer: buffer, firstRow: need.lowerBound, weight: weight,
                    y: y, residual: residual, epilogue: epilogue)
            }
        }
    }

    /// Segments of output rows per (image, block): as few as keep `threads` evenly busy.
    /// Each segment computes its first band's halo rows once more, so more segments cost
    /// work; fewer chunks than threads (or a count the threads do not divide) cost idle time.
    /// Picked by the larger of the two, counted in input rows of one block.
    static func segmentCount(_ g: ConvGeometry, _ layout: DepthwiseKernel.BufferLayout, blocks: Int, threads: Int) -> Int {
        let span = (g.kh - 1) * g.dilationH + 1
        var best = (segments: 1, cost: Int.max)
        for segments in 1...max(1, min(8, g.outH / max(1, layout.bandRows))) {
            let rows = (g.outH + segments - 1) / segments
            let perChunk = (rows - 1) * g.strideH + span
            let rounds = (g.batch * blocks * segments + threads - 1) / threads
            let cost = rounds * perChunk
            if cost < best.cost { best = (segments, cost) }
        }
        return best.segments
    }
}

/// One image's expand output for one 16-channel block, written into the depthwise buffer:
/// input row iy, column ix goes to buffer row iy - firstRow, column padLeft + ix.
struct ExpandBand {
    let e: ConvGeometry
    /// The image's input [H][W][Cin].
    let x: UnsafePointer<Float>
    /// The block's panel of packed expand weights, [Cin][16].
    let panel: UnsafePointer<Float>
    let epilogue: EpilogueKernel
    let bias: UnsafePointer<Float>?
    let buffer: UnsafeMutablePointer<Float>
    let rowFloats: Int
    let padLeft: Int
    /// A ReLU or ReLU6 alone after the bias (the mobile blocks' expands), or nothing at all.
    let clamp: DepthwiseKernel.Clamp?
    let plain: Bool

    init(
        e: ConvGeometry, x: UnsafePointer<Float>, panel: UnsafePointer<Float>, epilogue: EpilogueKernel, bias: UnsafePointer<Float>?,
        buffer: UnsafeMutablePointer<Float>, rowFloats: Int, padLeft: Int
    ) {
        (self.e, self.x, self.panel, self.epilogue, self.bias) = (e, x, panel, epilogue, bias)
        (self.buffer, self.rowFloats, self.padLeft) = (buffer, rowFloats, padLeft)
        clamp = DepthwiseKernel.Clamp(epilogue)
        plain = epilogue.activation == nil && epilogue.postActivation == nil
    }

    /// Input rows `rows` (all of their pixels, six at a time across row ends).
    func expand(rows: Range<Int>, firstRow: Int) {
        let end = rows.upperBound * e.inW
        var p = rows.lowerBound * e.inW
        // Pixel p's place in the buffer, followed without a division per pixel.
        var row = buffer + (rows.lowerBound - firstRow) * rowFloats + padLeft * DepthwiseKernel.block, ix = 0
        func next() -> UnsafeMutablePointer<Float> {
            let out = row + ix * DepthwiseKernel.block
            ix += 1
            if ix == e.inW {
                ix = 0
                row += rowFloats
            }
            return out
        }
        if AVX512.enabled {
            // Twelve pixels at a time by the 512-bit tile (two row tiles, one panel): the same sums.
            let most = 2 * PackedGemm.mr
            withUnsafeTemporaryAllocation(of: Float.self, capacity: most * 2 * PackedGemm.nr) { sums in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: most) { table in
                    var length = e.inC
                    while p < end {
                        let count = min(most, end - p)
                        // Missing pixels repeat the last one and are not stored.
                        for i in 0..<most { table[i] = x + (p + min(i, count - 1)) * e.inC }
                        let tiles = count > PackedGemm.mr ? 2 : 1
                        archc_gemm_tile_avx512(1, &length, table.baseAddress!, tiles, PackedGemm.mr, panel, 0, 1, sums.baseAddress!, nil)
                        for i in 0..<count {
                            let sum = sums.baseAddress! + i * 2 * PackedGemm.nr
                            store(archc_load8(sum), archc_load8(sum + 8), next())
                        }
                        p += count
                    }
                }
            }
            return
        }
        while p < end {
            let count = min(PackedGemm.mr, end - p)
            let o0 = next(), o1 = count > 1 ? next() : o0, o2 = count > 2 ? next() : o0, o3 = count > 3 ? next() : o0
            let o4 = count > 4 ? next() : o0, o5 = count > 5 ? next() : o0
            tile(pixel: p, count: count, o0, o1, o2, o3, o4, o5)
            p += count
        }
    }

    /// Six pixels from `pixel` (`count` of them real: the others repeat the last and are not
    /// stored) times the panel: `PackedGemm.tile`'s arithmetic, each pixel to its own place.
    @inline(__always)
    func tile(
        pixel: Int, count: Int, _ o0: UnsafeMutablePointer<Float>, _ o1: UnsafeMutablePointer<Float>, _ o2: UnsafeMutablePointer<Float>,
        _ o3: UnsafeMutablePointer<Float>, _ o4: UnsafeMutablePointer<Float>, _ o5: UnsafeMutablePointer<Float>
    ) {
        let k = e.inC, last = count - 1, a = x + pixel * k
        let a0 = a, a1 = a + min(1, last) * k, a2 = a + min(2, last) * k, a3 = a + min(3, last) * k, a4 = a + min(4, last) * k
        let a5 = a + min(5, last) * k
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var bp = UnsafeRawPointer(panel)
        for k in 0..<k {
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
        store(c00, c01, o0)
        if count > 1 { store(c10, c11, o1) }
        if count > 2 { store(c20, c21, o2) }
        if count > 3 { store(c30, c31, o3) }
        if count > 4 { store(c40, c41, o4) }
        if count > 5 { store(c50, c51, o5) }
    }

    /// One pixel's 16 channels: bias, then a ReLU/ReLU6 as a clamp in registers (the bits of
    /// `EpilogueKernel.activate`), anything else through `EpilogueKernel.finish`. Through
    /// `PackedGemm.TileOutput` the store and `finish` stayed out-of-line calls here (callgrind:
    /// 81 M of the 327 M instructions of Lite0's fused expands at batch 1).
    @inline(__always)
    func store(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>) {
        var lo = lo, hi = hi
        if let bias {
            lo += UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
            hi += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        }
        if let clamp {
            lo = clamp.apply(lo)
            hi = clamp.apply(hi)
        } else if !plain {
            lo = epilogue.finish(lo, residual: nil)
            hi = epilogue.finish(hi, residual: nil)
        }
        let o = UnsafeMutableRawPointer(out)
        o.storeBytes(of: lo, as: SIMD8<Float>.self)
        o.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
    }
}
