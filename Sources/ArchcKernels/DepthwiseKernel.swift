import ArchcIR
import CKernelSupport

/// Depthwise convolution on NHWC data (groups = Cin, Cout = Cin or a multiple of it),
/// vectorised across channels.
///
/// Work is split into 16-channel blocks (one per chunk and image). Each block of the input
/// is first copied into a dense buffer [H][padLeft + W + padRight][16] whose extra columns
/// are zero: read in place, neighbouring pixels sit C*4 bytes apart (6 KiB at C=1536), a
/// stride that maps them to the same few L1 sets; the copy (at most ~40 KiB) stays in L1
/// and lets the kernel read a row of taps without any bounds test. Weights are packed per
/// block as [kh][kw][16].
///
/// The inner kernel keeps seven neighbouring output pixels x 16 channels in fourteen
/// registers: per tap, two weight loads serve fourteen FMAs whose inputs are memory
/// operands (the machine's two load ports keep up with its two FMA pipes). Rows of taps
/// that fall on vertical padding are skipped; horizontally, only the taps some pixel of
/// the seven needs are run, and the others multiply the buffer's zeros (at 14x14 with an
/// 11x11 kernel, 80% of the computed taps are useful). Output widths that are not
/// multiples of 7 finish pixel by pixel, and blocks of fewer than 16 channels (when C is
/// not a multiple of 16) channel by channel. Bias starts the accumulators; activation,
/// residual and post-activation are applied in registers before the single store.
public enum DepthwiseKernel {
    public static let block = 16
    static let pixels = 7

    /// [C, 1, kh, kw] -> per 16-channel block b: [kh][kw][width(b)], blocks one after another.
    public static func pack(_ w: Tensor) -> [Float] {
        let (c, kh, kw) = (w.dims[0], w.dims[2], w.dims[3])
        var out = [Float](repeating: 0, count: w.count)
        var offset = 0
        for c0 in stride(from: 0, to: c, by: block) {
            let width = min(block, c - c0)
            for y in 0..<kh {
                for x in 0..<kw {
                    for j in 0..<width {
                        out[offset + (y * kw + x) * width + j] = w.data[((c0 + j) * kh + y) * kw + x]
                    }
                }
            }
            offset += kh * kw * width
        }
        return out
    }

    public static func run(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, pool: WorkerPool
    ) {
        let blocks = (g.outC + block - 1) / block
        let layout = BufferLayout(g)
        let bands = (g.outH + layout.bandRows - 1) / layout.bandRows
        let chunks = g.batch * blocks * bands
        pool.run(chunks: chunks) { chunk in
            // Chunk = (image, channel block, band of output rows), bands innermost: a thread's
            // contiguous range of chunks walks down one channel block's plane.
            let band = chunk % bands, n = chunk / bands / blocks, c0 = (chunk / bands % blocks) * block
            let width = min(block, g.outC - c0)
            let outRows = band * layout.bandRows..<min(g.outH, (band + 1) * layout.bandRows)
            let inRows = layout.inputRows(outRows)
            let floats = layout.floats(width: width, rows: inRows.count)
            let (raw, owned) = AlignedMemory.threadScratch(.depthwise, bytes: floats * 4)
            defer { if owned { AlignedMemory.free(raw) } }
            let buffer = raw.bindMemory(to: Float.self, capacity: floats)
            layout.fill(buffer, from: x + n * g.inH * g.inW * g.inC, rows: inRows, c0: c0, width: width)
            if chunk + 1 < chunks { prefetch(chunk: chunk + 1, bands: bands, blocks: blocks, layout: layout, x: x) }
            compute(
                g, layout, rows: outRows, image: n, c0: c0, width: width, buffer: buffer, firstRow: inRows.lowerBound, weight: weight, y: y,
                residual: residual, epilogue: epilogue)
        }
    }

    /// Output rows `rows` of channels c0..<c0+width of image `image`, from `buffer`: the input
    /// rows from `firstRow` on, in `layout`'s form (`BufferLayout.fill`, or written there by
    /// `ExpandDepthwiseKernel`).
    static func compute(
        _ g: ConvGeometry, _ layout: BufferLayout, rows: Range<Int>, image n: Int, c0: Int, width: Int, buffer: UnsafePointer<Float>, firstRow: Int,
        weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel
    ) {
        let w = weight + c0 * g.kh * g.kw
        // The AVX2 wide-kernel path reads each kernel row in runs of seven taps, zero past kw:
        // a zero-padded copy when kw is not a multiple of 7, the packed weights as they are
        // when it is (7x7). The 512-bit strip (full blocks on a CPU with AVX-512) reads the
        // packed weights as they are: no copy.
        let wide = AVX512.enabled && width == block
        let runs = layout.tapRuns && width == block && !wide
        let padded = runs && layout.paddedKW != g.kw ? AlignedMemory.floats(g.kh * layout.paddedKW * block) : nil
        defer { padded.map { AlignedMemory.free($0) } }
        if let padded {
            padded.update(repeating: 0, count: g.kh * layout.paddedKW * block)
            for ky in 0..<g.kh { (padded + ky * layout.paddedKW * block).update(from: w + ky * g.kw * block, count: g.kw * block) }
        }
        let runWeights = runs ? padded.map { UnsafePointer($0) } ?? w : nil
        let b = Block(
            g: g, x: buffer, firstRow: firstRow, rowFloats: layout.columns * width, w: w, paddedW: runWeights,
            paddedKW: layout.paddedKW, width: width, bias: epilogue.bias.map { $0 + c0 }, epilogue: epilogue,
            plain: residual == nil && epilogue.activation == nil && epilogue.postActivation == nil,
            clamp: residual == nil ? Clamp(epilogue) : nil)
        let smallTaps = runsSmallTaps(g, width: width)
        for oy in rows {
            let row = (n * g.outH + oy) * g.outW
            let out = y + row * g.outC + c0
            let res = residual.map { $0 + row * g.outC + c0 }
            var ox = 0
            if wide {
                b.sevenWide(oy: oy, strips: g.outW / pixels, allTaps: smallTaps || layout.tapRuns, out: out, residual: res)
                ox = g.outW / pixels * pixels
            } else if smallTaps {
                b.smallTaps(oy: oy, strips: g.outW / pixels, out: out, residual: res)
                ox = g.outW / pixels * pixels
            } else if width == block, b.paddedW != nil {
                while ox + pixels <= g.outW {
                    b.sevenTapRuns(oy: oy, ox: ox, out: out + ox * g.outC, residual: res.map { $0 + ox * g.outC })
                    ox += pixels
                }
            } else if width == block {
                while ox + pixels <= g.outW {
                    b.seven(oy: oy, ox: ox, out: out + ox * g.outC, residual: res.map { $0 + ox * g.outC })
                    ox += pixels
                }
            }
            while ox < g.outW {
                b.pixel(oy: oy, ox: ox, out: out + ox * g.outC, residual: res.map { $0 + ox * g.outC })
                ox += 1
            }
        }
    }

    /// Prefetches into L2 the input the chunk `chunk` copies: the chunk this thread most
    /// likely runs next (the pool hands out contiguous ranges), fetched while the current one
    /// computes; one line per pixel of its 16 channels (at batch 8 the layer's input has left L2).
    @inline(__always)
    static func prefetch(chunk: Int, bands: Int, blocks: Int, layout: BufferLayout, x: UnsafePointer<Float>) {
        let g = layout.g
        let band = chunk % bands, n = chunk / bands / blocks, c = (chunk / bands % blocks) * block * g.inC / g.outC
        let rows = layout.inputRows(band * layout.bandRows..<min(g.outH, (band + 1) * layout.bandRows))
        let plane = x + n * g.inH * g.inW * g.inC + c
        for pixel in rows.lowerBound * g.inW..<rows.upperBound * g.inW { archc_prefetch_l2(plane + pixel * g.inC) }
    }

    /// ReLU or ReLU6 alone after the bias (the mobile blocks' depthwise convs): applied as a
    /// clamp in registers. The general `EpilogueKernel.finish` stays an out-of-line call in
    /// these kernels (its GELU makes it large), and each call spills the accumulators.
    struct Clamp {
        let upper: SIMD8<Float>

        init?(_ e: EpilogueKernel) {
            guard e.postActivation == nil, let act = e.activation else { return nil }
            switch act {
            case .relu: upper = SIMD8(repeating: .infinity)
            case .relu6: upper = SIMD8(repeating: 6)
            case .gelu: return nil
            }
        }

        @inline(__always)
        func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
            v.replacing(with: 0, where: v .< 0).replacing(with: upper, where: v .> upper)
        }
    }

    /// Where a channel block's input lives in its buffer: a band of the input's rows (all of
    /// them on small maps), columns shifted right by `padLeft`, zeros wherever no input pixel is.
    struct BufferLayout {
        let g: ConvGeometry
        let columns: Int
        /// Whether `Block.sevenTapRuns` runs this conv: stride 1 and no dilation across, and a
        /// kernel width that whole runs of seven taps cover with at most a quarter wasted (7x7
        /// and 13x13 yes; 11x11 would compute 14 taps for 11, which measured no faster than
        /// `seven`).
        let tapRuns: Bool
        /// The kernel width rounded up to whole runs of seven taps.
        let paddedKW: Int
        /// Output rows per chunk. A whole plane's buffer of up to `maxPlaneBytes` stays in L2
        /// (the robust models' 14x14 and 7x7 maps: one band). A larger one (the mobile models'
        /// 112x112 and 56x56 maps: 0.8 MiB per block at 112x112) would be copied out to L3
        /// and read back from there, and leave a layer of two blocks only two chunks: bands of
        /// rows whose input fits in about `bandBytes`, each at least a kernel's height of
        /// input rows (so each input row is copied at most about twice).
        let bandRows: Int
        static let maxPlaneBytes = 128 * 1024
        static let bandBytes = 32 * 1024

        init(_ g: ConvGeometry) {
            self.g = g
            paddedKW = (g.kw + pixels - 1) / pixels * pixels
            tapRuns = g.strideW == 1 && g.dilationW == 1 && g.kw >= 6 && 4 * (paddedKW - g.kw) <= g.kw
            // The rightmost column any output reads, counted from input column 0 (with the
            // taps past kw that the runs of seven read as zeros).
            let last = (g.outW - 1) * g.strideW - g.padLeft + (g.kw - 1) * g.dilationW + (tapRuns ? paddedKW - g.kw : 0)
            columns = g.padLeft + max(g.inW, last + 1)
            let rowBytes = columns * block * 4
            let span = (g.kh - 1) * g.dilationH + 1
            if g.inH * rowBytes <= Self.maxPlaneBytes {
                bandRows = max(1, g.outH)
            } else {
                let fitting = (Self.bandBytes / rowBytes - span) / g.strideH + 1
                bandRows = max(1, min(g.outH, max((span + g.strideH - 1) / g.strideH, fitting)))
            }
        }

        /// The input rows output rows `outRows` read (inside the input; rows on padding are skipped).
        func inputRows(_ outRows: Range<Int>) -> Range<Int> {
            let lo = max(0, outRows.lowerBound * g.strideH - g.padTop)
            let hi = min(g.inH, (outRows.upperBound - 1) * g.strideH - g.padTop + (g.kh - 1) * g.dilationH + 1)
            return lo..<max(lo, hi)
        }

        func floats(width: Int, rows: Int) -> Int { max(1, rows * columns * width) }

        /// Copies channels c0..<c0+width (or, with a channel multiplier m, input channel
        /// (c0 + j) / m for output channel c0 + j) of input rows `rows` of one image into the buffer.
        func fill(_ buffer: UnsafeMutablePointer<Float>, from image: UnsafePointer<Float>, rows: Range<Int>, c0: Int, width: Int) {
            let padLeft = g.padLeft
            let multiplier = g.outC / g.inC
            let rowFloats = columns * width
            if multiplier == 1, width == block {
                // The common case, with vector copies (a library call per pixel costs as
                // much as the copy).
                let zero = SIMD8<Float>()
                for iy in rows {
                    let row = UnsafeMutableRawPointer(buffer + (iy - rows.lowerBound) * rowFloats)
                    for i in 0..<padLeft * 2 { row.storeBytes(of: zero, toByteOffset: 32 * i, as: SIMD8<Float>.self) }
                    var src = UnsafeRawPointer(image + iy * g.inW * g.inC + c0), dst = row + padLeft * 64
                    for _ in 0..<g.inW {
                        dst.storeBytes(of: src.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), toByteOffset: 32, as: SIMD8<Float>.self)
                        src += g.inC * 4
                        dst += 64
                    }
                    for i in 0..<(columns - padLeft - g.inW) * 2 { dst.storeBytes(of: zero, toByteOffset: 32 * i, as: SIMD8<Float>.self) }
                }
                return
            }
            for iy in rows {
                let row = buffer + (iy - rows.lowerBound) * rowFloats
                row.update(repeating: 0, count: padLeft * width)
                for ix in 0..<g.inW {
                    let dst = row + (padLeft + ix) * width, src = image + (iy * g.inW + ix) * g.inC
                    if multiplier == 1 {
                        dst.update(from: src + c0, count: width)
                    } else {
                        for j in 0..<width { dst[j] = src[(c0 + j) / multiplier] }
                    }
                }
                let used = (padLeft + g.inW) * width
                (row + used).update(repeating: 0, count: rowFloats - used)
            }
        }
    }

    /// One channel block of one image: its buffer, weights and epilogue.
    struct Block {
        let g: ConvGeometry
        /// The buffer, holding input rows from `firstRow` on.
        let x: UnsafePointer<Float>
        let firstRow: Int
        let rowFloats: Int
        let w: UnsafePointer<Float>
        /// For `sevenTapRuns`: the weights as [kh][paddedKW][16], zeros past kw.
        let paddedW: UnsafePointer<Float>?
        let paddedKW: Int
        let width: Int
        let bias: UnsafePointer<Float>?
        let epilogue: EpilogueKernel
        /// Nothing after the bias (the robust blocks' depthwise convs: their norm folds into
        /// the weights): accumulators are stored as they are. The epilogue's `finish` stays
        /// an out-of-line call in these large kernels, and each call spills the accumulators.
        let plain: Bool
        /// Or only a ReLU or ReLU6 after the bias: a clamp in registers.
        let clamp: Clamp?

        /// Kernel rows that land inside the input for output row `oy`. The first row is at most
        /// kh (none land: a row wholly in padding wider than the kernel), so that ranges built
        /// from two pixels' ends (`seven`) stay inside the kernel.
        @inline(__always)
        func kyRange(_ oy: Int) -> Range<Int> {
            let lo = min(g.kh, max(0, (g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH))
            let hi = min(g.kh, (g.inH + g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
            return lo..<max(lo, hi)
        }

        /// Kernel columns that land inside the input for output column `ox` (the first at most
        /// kw, as in `kyRange`).
        @inline(__always)
        func kxRange(_ ox: Int) -> Range<Int> {
            let lo = min(g.kw, max(0, (g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW))
            let hi = min(g.kw, (g.inW + g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW)
            return lo..<max(lo, hi)
        }

        /// Buffer address of input (iy, ix) (ix may be negative down to -padLeft).
        @inline(__always)
        func input(_ iy: Int, _ ix: Int) -> UnsafeRawPointer {
            UnsafeRawPointer(x + (iy - firstRow) * rowFloats + (ix + g.padLeft) * width)
        }

        @inline(__always)
        func start(_ half: Int) -> SIMD8<Float> {
            guard let bias else { return SIMD8<Float>() }
            return UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 32 * half, as: SIMD8<Float>.self)
        }

        @inline(__always)
        func finish(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
            let o = UnsafeMutableRawPointer(out)
            if plain {
                o.storeBytes(of: lo, as: SIMD8<Float>.self)
                o.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
                return
            }
            if let clamp {
                o.storeBytes(of: clamp.apply(lo), as: SIMD8<Float>.self)
                o.storeBytes(of: clamp.apply(hi), toByteOffset: 32, as: SIMD8<Float>.self)
                return
            }
            o.storeBytes(of: epilogue.finish(lo, residual: residual), as: SIMD8<Float>.self)
            o.storeBytes(of: epilogue.finish(hi, residual: residual.map { $0 + 8 }), toByteOffset: 32, as: SIMD8<Float>.self)
        }

        /// Seven output pixels ox..ox+6 of row oy, 16 channels.
        @inline(__always)
        func seven(oy: Int, ox: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
            // Taps some pixel of the seven needs: from the last pixel's first to the first pixel's last.
            let kx = kxRange(ox + pixels - 1).lowerBound..<kxRange(ox).upperBound
            let l = start(0), h = start(1)
            var a0 = l, b0 = h, a1 = l, b1 = h, a2 = l, b2 = h, a3 = l, b3 = h, a4 = l, b4 = h, a5 = l, b5 = h, a6 = l, b6 = h
            if !kx.isEmpty {
                let step = g.strideW * 64, tapStep = g.dilationW * 64
                for ky in kyRange(oy) {
                    var p = input(oy * g.strideH - g.padTop + ky * g.dilationH, ox * g.strideW - g.padLeft + kx.lowerBound * g.dilationW)
                    var q = UnsafeRawPointer(w + (ky * g.kw + kx.lowerBound) * 16)
                    for _ in kx {
                        let wl = q.loadUnaligned(as: SIMD8<Float>.self), wh = q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        a0.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), wl)
                        b0.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), wh)
                        a1.addProduct(p.loadUnaligned(fromByteOffset: step, as: SIMD8<Float>.self), wl)
                        b1.addProduct(p.loadUnaligned(fromByteOffset: step + 32, as: SIMD8<Float>.self), wh)
                        a2.addProduct(p.loadUnaligned(fromByteOffset: 2 * step, as: SIMD8<Float>.self), wl)
                        b2.addProduct(p.loadUnaligned(fromByteOffset: 2 * step + 32, as: SIMD8<Float>.self), wh)
                        a3.addProduct(p.loadUnaligned(fromByteOffset: 3 * step, as: SIMD8<Float>.self), wl)
                        b3.addProduct(p.loadUnaligned(fromByteOffset: 3 * step + 32, as: SIMD8<Float>.self), wh)
                        a4.addProduct(p.loadUnaligned(fromByteOffset: 4 * step, as: SIMD8<Float>.self), wl)
                        b4.addProduct(p.loadUnaligned(fromByteOffset: 4 * step + 32, as: SIMD8<Float>.self), wh)
                        a5.addProduct(p.loadUnaligned(fromByteOffset: 5 * step, as: SIMD8<Float>.self), wl)
                        b5.addProduct(p.loadUnaligned(fromByteOffset: 5 * step + 32, as: SIMD8<Float>.self), wh)
                        a6.addProduct(p.loadUnaligned(fromByteOffset: 6 * step, as: SIMD8<Float>.self), wl)
                        b6.addProduct(p.loadUnaligned(fromByteOffset: 6 * step + 32, as: SIMD8<Float>.self), wh)
                        p += tapStep
                        q += 64
                    }
                }
            }
            let s = g.outC
            if plain || clamp != nil {
                for (i, (lo, hi)) in [(a0, b0), (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5), (a6, b6)].enumerated() {
                    let o = UnsafeMutableRawPointer(out + i * s)
                    o.storeBytes(of: clamp.map { $0.apply(lo) } ?? lo, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.map { $0.apply(hi) } ?? hi, toByteOffset: 32, as: SIMD8<Float>.self)
                }
                return
            }
            finish(a0, b0, out: out, residual: residual)
            finish(a1, b1, out: out + s, residual: residual.map { $0 + s })
            finish(a2, b2, out: out + 2 * s, residual: residual.map { $0 + 2 * s })
            finish(a3, b3, out: out + 3 * s, residual: residual.map { $0 + 3 * s })
            finish(a4, b4, out: out + 4 * s, residual: residual.map { $0 + 4 * s })
            finish(a5, b5, out: out + 5 * s, residual: residual.map { $0 + 5 * s })
            finish(a6, b6, out: out + 6 * s, residual: residual.map { $0 + 6 * s })
        }

        /// Pixels 0..<7 `strips` of row oy (`out`, `residual`: the row's first pixel) by the
        /// 512-bit strip (`archc_dw7_avx512`): per pixel the taps `seven` sums, in its order;
        /// with `allTaps` every tap of a kernel row, as `smallTaps` and `sevenTapRuns` add
        /// them (those on horizontal padding multiply the buffer's zeros).
        func sevenWide(oy: Int, strips: Int, allTaps: Bool, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
            let ky = kyRange(oy), iy = oy * g.strideH - g.padTop + ky.lowerBound * g.dilationH
            let mode: Int32 = plain ? ARCHC_DW_PLAIN : clamp != nil ? ARCHC_DW_CLAMP : ARCHC_DW_SUMS
            let upper = clamp?.upper[0] ?? 0
            withUnsafeTemporaryAllocation(of: Float.self, capacity: DepthwiseKernel.pixels * 16) { sums in
                let sums = sums.baseAddress!
                for strip in 0..<strips {
                    let ox = strip * DepthwiseKernel.pixels
                    let kx = allTaps ? 0..<g.kw : kxRange(ox + DepthwiseKernel.pixels - 1).lowerBound..<kxRange(ox).upperBound
                    let x = input(iy, ox * g.strideW - g.padLeft + kx.lowerBound * g.dilationW).assumingMemoryBound(to: Float.self)
                    let o = out + ox * g.outC
                    let weights = w + (ky.lowerBound * g.kw + kx.lowerBound) * 16
                    let target = mode == ARCHC_DW_SUMS ? sums : o
                    archc_dw7_avx512(
                        x, g.dilationH * rowFloats, g.strideW * 16, g.dilationW * 16, weights, g.kw * 16, ky.count, kx.count, bias, target, g.outC,
                        mode, upper)
                    guard mode == ARCHC_DW_SUMS else { continue }
                    for j in 0..<DepthwiseKernel.pixels {
                        finish(
                            archc_load8(sums + 16 * j), archc_load8(sums + 16 * j + 8), out: o + j * g.outC,
                            residual: residual.map { $0 + (ox + j) * g.outC })
                    }
                }
            }
        }

        /// `seven` for wide kernels at stride 1, with the roles turned: per half of the 16
        /// channels and per kernel row, a run of seven taps' weights sits in seven registers
        /// and each of the 13 input columns the run touches is loaded once and multiplied
        /// into every output pixel it reaches (49 FMAs for 20 loads, where `seven` loads an
        /// operand per FMA; measured 48% -> 87% of a core's FMA peak on this loop alone).
        /// Taps past kw multiply zero weights; columns on horizontal padding are zeros.
        @inline(__always)
        func sevenTapRuns(oy: Int, ox: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
            let s = g.outC
            for half in 0..<2 {
                let h = 32 * half
                let bias = start(half)
                var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias
                for ky in kyRange(oy) {
                    let row = input(oy * g.strideH - g.padTop + ky * g.dilationH, ox - g.padLeft) + h
                    var t0 = 0
                    while t0 < paddedKW {
                        let q = UnsafeRawPointer(paddedW! + (ky * paddedKW + t0) * 16) + h
                        let w0 = q.load(as: SIMD8<Float>.self), w1 = q.load(fromByteOffset: 64, as: SIMD8<Float>.self)
                        let w2 = q.load(fromByteOffset: 128, as: SIMD8<Float>.self), w3 = q.load(fromByteOffset: 192, as: SIMD8<Float>.self)
                        let w4 = q.load(fromByteOffset: 256, as: SIMD8<Float>.self), w5 = q.load(fromByteOffset: 320, as: SIMD8<Float>.self)
                        let w6 = q.load(fromByteOffset: 384, as: SIMD8<Float>.self)
                        let p = row + t0 * 64
                        var x = p.load(as: SIMD8<Float>.self)
                        a0.addProduct(x, w0)
                        x = p.load(fromByteOffset: 64, as: SIMD8<Float>.self)
                        a0.addProduct(x, w1); a1.addProduct(x, w0)
                        x = p.load(fromByteOffset: 128, as: SIMD8<Float>.self)
                        a0.addProduct(x, w2); a1.addProduct(x, w1); a2.addProduct(x, w0)
                        x = p.load(fromByteOffset: 192, as: SIMD8<Float>.self)
                        a0.addProduct(x, w3); a1.addProduct(x, w2); a2.addProduct(x, w1); a3.addProduct(x, w0)
                        x = p.load(fromByteOffset: 256, as: SIMD8<Float>.self)
                        a0.addProduct(x, w4); a1.addProduct(x, w3); a2.addProduct(x, w2); a3.addProduct(x, w1); a4.addProduct(x, w0)
                        x = p.load(fromByteOffset: 320, as: SIMD8<Float>.self)
                        a0.addProduct(x, w5); a1.addProduct(x, w4); a2.addProduct(x, w3); a3.addProduct(x, w2); a4.addProduct(x, w1)
                        a5.addProduct(x, w0)
                        x = p.load(fromByteOffset: 384, as: SIMD8<Float>.self)
                        a0.addProduct(x, w6); a1.addProduct(x, w5); a2.addProduct(x, w4); a3.addProduct(x, w3); a4.addProduct(x, w2)
                        a5.addProduct(x, w1); a6.addProduct(x, w0)
                        x = p.load(fromByteOffset: 448, as: SIMD8<Float>.self)
                        a1.addProduct(x, w6); a2.addProduct(x, w5); a3.addProduct(x, w4); a4.addProduct(x, w3); a5.addProduct(x, w2)
                        a6.addProduct(x, w1)
                        x = p.load(fromByteOffset: 512, as: SIMD8<Float>.self)
                        a2.addProduct(x, w6); a3.addProduct(x, w5); a4.addProduct(x, w4); a5.addProduct(x, w3); a6.addProduct(x, w2)
                        x = p.load(fromByteOffset: 576, as: SIMD8<Float>.self)
                        a3.addProduct(x, w6); a4.addProduct(x, w5); a5.addProduct(x, w4); a6.addProduct(x, w3)
                        x = p.load(fromByteOffset: 640, as: SIMD8<Float>.self)
                        a4.addProduct(x, w6); a5.addProduct(x, w5); a6.addProduct(x, w4)
                        x = p.load(fromByteOffset: 704, as: SIMD8<Float>.self)
                        a5.addProduct(x, w6); a6.addProduct(x, w5)
                        x = p.load(fromByteOffset: 768, as: SIMD8<Float>.self)
                        a6.addProduct(x, w6)
                        t0 += pixels
                    }
                }
                let o = UnsafeMutableRawPointer(out) + h
                if let clamp {
                    o.storeBytes(of: clamp.apply(a0), as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a1), toByteOffset: 4 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a2), toByteOffset: 8 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a3), toByteOffset: 12 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a4), toByteOffset: 16 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a5), toByteOffset: 20 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: clamp.apply(a6), toByteOffset: 24 * s, as: SIMD8<Float>.self)
                    continue
                }
                if plain {
                    o.storeBytes(of: a0, as: SIMD8<Float>.self)
                    o.storeBytes(of: a1, toByteOffset: 4 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: a2, toByteOffset: 8 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: a3, toByteOffset: 12 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: a4, toByteOffset: 16 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: a5, toByteOffset: 20 * s, as: SIMD8<Float>.self)
                    o.storeBytes(of: a6, toByteOffset: 24 * s, as: SIMD8<Float>.self)
                    continue
                }
                let r = residual.map { UnsafeRawPointer($0) + h }
                o.storeBytes(of: epilogue.finish(a0, residual: r?.assumingMemoryBound(to: Float.self)), as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a1, residual: r.map { ($0 + 4 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 4 * s, as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a2, residual: r.map { ($0 + 8 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 8 * s, as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a3, residual: r.map { ($0 + 12 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 12 * s, as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a4, residual: r.map { ($0 + 16 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 16 * s, as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a5, residual: r.map { ($0 + 20 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 20 * s, as: SIMD8<Float>.self)
                o.storeBytes(
                    of: epilogue.finish(a6, residual: r.map { ($0 + 24 * s).assumingMemoryBound(to: Float.self) }), toByteOffset: 24 * s, as: SIMD8<Float>.self)
            }
        }

        /// One output pixel, any block width, only the taps inside the input.
        @inline(__always)
        func pixel(oy: Int, ox: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
            let kx = kxRange(ox), ky = kyRange(oy)
            if width == 16 {
                var lo = start(0), hi = start(1)
                for ky in ky {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in kx {
                        let p = input(iy, ox * g.strideW - g.padLeft + kx * g.dilationW), q = UnsafeRawPointer(w + (ky * g.kw + kx) * 16)
                        lo.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), q.loadUnaligned(as: SIMD8<Float>.self))
                        hi.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    }
                }
                finish(lo, hi, out: out, residual: residual)
                return
            }
            for ch in 0..<width {
                var a: Float = bias.map { $0[ch] } ?? 0
                for ky in ky {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in kx {
                        let p = input(iy, ox * g.strideW - g.padLeft + kx * g.dilationW).assumingMemoryBound(to: Float.self)
                        a += p[ch] * w[(ky * g.kw + kx) * width + ch]
                    }
                }
                out[ch] = epilogue.finish(a, residual: residual.map { $0[ch] })
            }
        }
    }
}
