import ArchcIR

/// Convolutions on NHWC activations. Weights arrive packed by `WeightPacking`.
public enum ConvKernels {
    /// 1x1 stride-1 conv: the NHWC input already is the GEMM's A matrix.
    public static func pointwise(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: GemmWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, pool: WorkerPool
    ) {
        weight.multiply(m: g.m, a: x, c: y, pool: pool) { r0, rows, c0, c1 in
            epilogue.apply(y + r0 * g.outC, residual: residual.map { $0 + r0 * g.outC }, rows: rows, stride: g.outC, columns: c0, c1)
        }
    }

    /// Any groups-1 conv: gather each output pixel's receptive field into a row of
    /// `scratch` (kh, kw, Cin order; zeros for padding), then one GEMM with weights packed
    /// [Cout, kh*kw*Cin]. Patchify stems and strided 1x1 projections take this path.
    public static func im2col(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: GemmWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let rowsPerChunk = 64
        pool.run(chunks: (g.m + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            for row in chunk * rowsPerChunk..<min(g.m, (chunk + 1) * rowsPerChunk) {
                gatherRow(g, row: row, x: x, into: scratch + row * g.k)
            }
        }
        weight.multiply(m: g.m, a: scratch, c: y, pool: pool) { r0, rows, c0, c1 in
            epilogue.apply(y + r0 * g.outC, residual: residual.map { $0 + r0 * g.outC }, rows: rows, stride: g.outC, columns: c0, c1)
        }
    }

    @inline(__always)
    static func gatherRow(_ g: ConvGeometry, row: Int, x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
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
                    dst.update(repeating: 0, count: g.inC)
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
