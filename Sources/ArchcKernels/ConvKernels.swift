import ArchcIR

/// Convolutions on NHWC activations. Weights arrive packed by `WeightPacking`.
public enum ConvKernels {
    /// 1x1 stride-1 conv: the NHWC input already is the GEMM's A matrix.
    public static func pointwise(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: GemmWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, pool: WorkerPool
    ) {
        weight.multiply(m: g.m, a: x, c: y, epilogue: epilogue, residual: residual, pool: pool)
    }

    /// Any other groups-1 conv, as a GEMM with weights packed [Cout, kh*kw*Cin] (kh, kw,
    /// Cin order). With the packed GEMM and Cin >= 16 (ResNet's 3x3 convs, strided 1x1
    /// projections) the GEMM reads each tap's Cin values straight from the NHWC input, a
    /// zero row standing in for padding (an implicit im2col: no copy, no scratch), except
    /// strided convs the GEMM splits by columns, which gather (`Im2colPath.gathersStrided`). With
    /// fewer input channels (the stems' Cin = 3) the input is first copied into a
    /// zero-padded image in `scratch`, where a kernel row's taps are contiguous. Otherwise
    /// (dilated small-Cin convs, or OpenBLAS) each output pixel's receptive field is
    /// gathered into a row of `scratch`.
    public static func im2col(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: GemmWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, scratch: UnsafeMutablePointer<Float>?, pool: WorkerPool
    ) {
        switch (Im2colPath(g, backend: weight.backend), weight.packed, scratch) {
        case (.inPlace, let packed?, _):
            PackedGemm.multiply(m: g.m, rows: ConvRows(g: g, x: x), packed, c: y, ldc: g.outC, epilogue: epilogue, residual: residual, pool: pool)
        case (.paddedCopy, let packed?, let scratch?):
            let rows = PaddedConvRows(g: g, padded: scratch)
            rows.fill(from: x, pool: pool)
            PackedGemm.multiply(m: g.m, rows: rows, packed, c: y, ldc: g.outC, epilogue: epilogue, residual: residual, pool: pool)
        case (.gathered, _, let scratch?):
            let rowsPerChunk = 64
            pool.run(chunks: (g.m + rowsPerChunk - 1) / rowsPerChunk) { chunk in
                for row in chunk * rowsPerChunk..<min(g.m, (chunk + 1) * rowsPerChunk) {
                    gatherRow(g, row: row, x: x, zero: 0, into: scratch + row * g.k)
                }
            }
            weight.multiply(m: g.m, a: scratch, c: y, epilogue: epilogue, residual: residual, pool: pool)
        default:
            preconditionFailure("im2col: this conv needs scratch (ConvKernels.scratchFloats)")
        }
    }

    /// How `im2col` feeds the GEMM for a conv and backend: decided here once, for both the
    /// kernel and the scratch it asks for.
    enum Im2colPath {
        /// The packed GEMM reads the input in place (Cin >= 16).
        case inPlace
        /// The packed GEMM reads a zero-padded copy of the input (small Cin, no dilation).
        case paddedCopy
        /// Rows gathered into an im2col matrix (OpenBLAS, dilated small-Cin convs, and
        /// strided convs the packed GEMM splits by columns).
        case gathered

        init(_ g: ConvGeometry, backend: GemmBackend) {
            if backend == .openblas {
                self = .gathered
            } else if g.inC >= 16 {
                self = Self.gathersStrided(g) ? .gathered : .inPlace
            } else {
                self = g.dilationH == 1 && g.dilationW == 1 ? .paddedCopy : .gathered
            }
        }

        /// Whether a strided conv with Cin >= 16 reads a gathered im2col matrix instead of its
        /// input in place: when the packed GEMM splits it into column chunks (M <= N, or too
        /// few 6-row tiles for row parts: `PackedGemm.split`), every chunk reads all of A, and
        /// a dense A, 4x smaller than the input at 1x1 stride 2, stays in the caches where the
        /// in-place rows (every other pixel of every other row) pull the whole input through
        /// them. ResNet-50's layer3/layer4 strided convs at batch 1 and layer4's at batch 8,
        /// 1 thread, CPU time, alternated, medians of 7 runs: 4-8% faster, gather included
        /// (layer3.0.conv2 at batch 1 unchanged). Row-part splits read A once per part and
        /// measured the same or slower gathered (layer2's 3x3 stride 2: the copy is 2.25x the
        /// input). Bounded so the scratch stays below what ResNet-50's Winograd layers take.
        static func gathersStrided(_ g: ConvGeometry) -> Bool {
            let strided = g.strideH > 1 || g.strideW > 1
            let columnChunks = g.m <= g.outC || (g.m + PackedGemm.mr - 1) / PackedGemm.mr < PackedGemm.minTilesForRowParts
            return strided && columnChunks && g.m * g.k <= maxGatheredFloats
        }

        /// 8 MiB: ResNet-50's layer4.0.conv2 at batch 8 gathers 6.9 MiB (392 x 4608).
        static let maxGatheredFloats = 2 << 20
    }

    /// Scratch floats `im2col` needs for this conv and backend (0 when it reads in place).
    public static func scratchFloats(_ g: ConvGeometry, backend: GemmBackend) -> Int {
        guard g.groups == 1, !g.isPointwise else { return 0 }
        switch Im2colPath(g, backend: backend) {
        case .inPlace: return 0
        case .paddedCopy: return PaddedConvRows.floats(g)
        case .gathered: return g.m * g.k
        }
    }

    /// Output pixel `row`'s receptive field, (kh, kw, inC) in order, into `out`: `zero` where
    /// it falls in the padding (0 for floats; the zero point for u8 activations).
    @inline(__always)
    static func gatherRow<Element>(_ g: ConvGeometry, row: Int, x: UnsafePointer<Element>, zero: Element, into out: UnsafeMutablePointer<Element>) {
        let n = row / (g.outH * g.outW), pixel = row % (g.outH * g.outW)
        let oy = pixel / g.outW, ox = pixel % g.outW
        var dst = out
        for ky in 0..<g.kh {
            let iy = oy * g.strideH - g.padTop + ky * g.dilationH
            for kx in 0..<g.kw {
                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                if iy >= 0, iy < g.inH, ix >= 0, ix < g.inW {
                    dst.update(from: x + ((n * g.inH + iy) * g.inW + ix) * g.inC, count: g.inC)
                } else {
                    dst.update(repeating: zero, count: g.inC)
                }
                dst += g.inC
            }
        }
    }

    /// Grouped convs that are neither dense nor depthwise: direct loops (rare in these models).
    public static func grouped(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, pool: WorkerPool
    ) {
        let cinPerGroup = g.inC / g.groups, coutPerGroup = g.outC / g.groups
        pool.run(chunks: g.batch * g.outH) { chunk in
            let n = chunk / g.outH, oy = chunk % g.outH
            for ox in 0..<g.outW {
                let out = y + ((n * g.outH + oy) * g.outW + ox) * g.outC
                for o in 0..<g.outC {
                    let group = o / coutPerGroup
                    var sum: Float = 0
                    for ky in 0..<g.kh {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                        guard iy >= 0, iy < g.inH else { continue }
                        for kx in 0..<g.kw {
                            let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                            guard ix >= 0, ix < g.inW else { continue }
                            let pixel = x + ((n * g.inH + iy) * g.inW + ix) * g.inC + group * cinPerGroup
                            let w = weight + ((o * g.kh + ky) * g.kw + kx) * cinPerGroup
                            for i in 0..<cinPerGroup { sum += pixel[i] * w[i] }
                        }
                    }
                    out[o] = sum
                }
                let row = (n * g.outH + oy) * g.outW + ox
                epilogue.apply(out, residual: residual.map { $0 + row * g.outC }, rows: 1, stride: g.outC, columns: 0, g.outC)
            }
        }
    }
}

/// A convolution's input read in place as the rows of its im2col matrix: row = output
/// pixel, k = (ky * kw + kx) * Cin + ci. A depth block splits into one segment per tap it
/// touches; a tap that falls on padding reads `PackedGemm.zeros`.
struct ConvRows: RunGemmRows {
    let g: ConvGeometry
    let x: UnsafePointer<Float>

    /// One tap's channels are contiguous.
    var run: Int { g.inC }

    @inline(__always)
    func pointers(row: Int, k0: Int, segments: Int, lengths: UnsafePointer<Int>, into: UnsafeMutablePointer<UnsafePointer<Float>>, stride: Int) {
        let pixels = g.outH * g.outW
        let n = row / pixels, pixel = row - n * pixels
        let oy = pixel / g.outW, ox = pixel - oy * g.outW
        let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
        let image = x + n * g.inH * g.inW * g.inC
        // Walk the taps from k0 without dividing per segment (this runs for every row of
        // every depth block, and divisions cost as much as a short segment's FMAs).
        let tap = k0 / g.inC
        var ci = k0 - tap * g.inC, ky = tap / g.kw, kx = tap - ky * g.kw
        for s in 0..<segments {
            let iy = iy0 + ky * g.dilationH, ix = ix0 + kx * g.dilationW
            into[s * stride] = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW ? image + (iy * g.inW + ix) * g.inC + ci : UnsafePointer(PackedGemm.zeros)
            ci += lengths[s]
            if ci == g.inC {
                ci = 0
                kx += 1
                if kx == g.kw {
                    kx = 0
                    ky += 1
                }
            }
        }
    }
}

/// Small-Cin convs (stems): the input copied once into a zero-padded image
/// [N][rows][columns][Cin], where every tap is inside the image and, without dilation, a
/// kernel row's taps are kw*Cin contiguous floats: one segment per kernel row, instead of
/// per tap (3 floats for an RGB stem) or a gathered im2col matrix (7 MiB for ResNet-50's stem).
struct PaddedConvRows: RunGemmRows {
    let g: ConvGeometry
    let padded: UnsafeMutablePointer<Float>
    let rows: Int
    let columns: Int

    init(g: ConvGeometry, padded: UnsafeMutablePointer<Float>) {
        self.g = g
        self.padded = padded
        (rows, columns) = Self.size(g)
    }

    static func size(_ g: ConvGeometry) -> (rows: Int, columns: Int) {
        (max(g.padTop + g.inH, (g.outH - 1) * g.strideH + g.kh), max(g.padLeft + g.inW, (g.outW - 1) * g.strideW + g.kw))
    }

    static func floats(_ g: ConvGeometry) -> Int {
        let (rows, columns) = size(g)
        return g.batch * rows * columns * g.inC
    }

    /// Copies the input in, zeros around it, one image row per chunk.
    func fill(from x: UnsafePointer<Float>, pool: WorkerPool) {
        let rowFloats = columns * g.inC
        pool.run(chunks: g.batch * rows) { chunk in
            let n = chunk / rows, r = chunk % rows
            let dst = padded + chunk * rowFloats
            let iy = r - g.padTop
            guard iy >= 0, iy < g.inH else {
                dst.update(repeating: 0, count: rowFloats)
                return
            }
            let left = g.padLeft * g.inC, used = g.inW * g.inC
            dst.update(repeating: 0, count: left)
            (dst + left).update(from: x + ((n * g.inH + iy) * g.inW) * g.inC, count: used)
            (dst + left + used).update(repeating: 0, count: rowFloats - left - used)
        }
    }

    /// A kernel row's taps are contiguous.
    var run: Int { g.kw * g.inC }

    @inline(__always)
    func pointers(row: Int, k0: Int, segments: Int, lengths: UnsafePointer<Int>, into: UnsafeMutablePointer<UnsafePointer<Float>>, stride: Int) {
        let pixels = g.outH * g.outW
        let n = row / pixels, pixel = row - n * pixels
        let oy = pixel / g.outW, ox = pixel - oy * g.outW
        let origin = padded + ((n * rows + oy * g.strideH) * columns + ox * g.strideW) * g.inC
        var k = k0
        for s in 0..<segments {
            let ky = k / run
            into[s * stride] = UnsafePointer(origin + ky * columns * g.inC + (k - ky * run))
            k += lengths[s]
        }
    }
}
