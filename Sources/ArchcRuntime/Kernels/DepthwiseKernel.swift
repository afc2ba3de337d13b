import ArchcIR

/// Depthwise convolution on NHWC data, vectorised across channels: 8 channels per SIMD
/// lane group, 4 groups (32 channels) per pass to keep 4 independent FMA chains in flight.
/// Only valid taps are visited, so a 11x11 kernel at a 14x14 map's border costs what it
/// computes, not what the padding would. Weights are packed [kh][kw][C]; the epilogue is
/// applied as each pixel's channels are stored.
public enum DepthwiseKernel {
    public static func run(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, pool: WorkerPool) {
        pool.run(chunks: g.batch * g.outH) { chunk in
            let n = chunk / g.outH, oy = chunk % g.outH
            let kyLo = max(0, (g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
            let kyHi = min(g.kh, (g.inH + g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
            for ox in 0..<g.outW {
                let kxLo = max(0, (g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW)
                let kxHi = min(g.kw, (g.inW + g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW)
                let row = (n * g.outH + oy) * g.outW + ox
                let out = y + row * g.outC
                pixel(g, n: n, oy: oy, ox: ox, ky: kyLo..<kyHi, kx: kxLo..<kxHi, x: x, weight: weight, out: out, epilogue: epilogue)
                epilogue.apply(out, residual: residual.map { $0 + row * g.outC }, rows: 1, stride: g.outC, columns: 0, g.outC)
            }
        }
    }

    /// Sums one output pixel over the valid taps, all channels; bias and activations follow.
    @inline(__always)
    static func pixel(_ g: ConvGeometry, n: Int, oy: Int, ox: Int, ky: Range<Int>, kx: Range<Int>, x: UnsafePointer<Float>,
                      weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, epilogue: EpilogueKernel) {
        let c = g.inC
        let rowStride = g.inW * c
        let base = x + n * g.inH * rowStride
        var ch = 0
        while ch + 32 <= c {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for ky in ky {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                for kx in kx {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    let p = UnsafeRawPointer(base + iy * rowStride + ix * c + ch)
                    let w = UnsafeRawPointer(weight + (ky * g.kw + kx) * c + ch)
                    a0.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), w.loadUnaligned(as: SIMD8<Float>.self))
                    a1.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    a2.addProduct(p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                    a3.addProduct(p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), w.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                }
            }
            let o = UnsafeMutableRawPointer(out + ch)
            o.storeBytes(of: a0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            ch += 32
        }
        while ch + 8 <= c {
            var a = SIMD8<Float>()
            for ky in ky {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                for kx in kx {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    a.addProduct(UnsafeRawPointer(base + iy * rowStride + ix * c + ch).loadUnaligned(as: SIMD8<Float>.self),
                                 UnsafeRawPointer(weight + (ky * g.kw + kx) * c + ch).loadUnaligned(as: SIMD8<Float>.self))
                }
            }
            UnsafeMutableRawPointer(out + ch).storeBytes(of: a, as: SIMD8<Float>.self)
            ch += 8
        }
        while ch < c {
            var a: Float = 0
            for ky in ky {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                for kx in kx {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    a += base[iy * rowStride + ix * c + ch] * weight[(ky * g.kw + kx) * c + ch]
                }
            }
            out[ch] = a
            ch += 1
        }
    }
}
