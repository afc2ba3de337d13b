import ArchcIR

/// Depthwise convolution on NHWC data (groups = Cin, Cout = Cin or a multiple of it),
/// vectorised across channels.
///
/// Work is split into 64-channel slices. Each slice of the input is first copied into a
/// contiguous [H][W][64] buffer: read in place, consecutive pixels sit C*4 bytes apart
/// (6 KiB at C=1536), and that power-of-two-like stride maps every pixel to the same few
/// L1 sets, so the cache holds almost nothing; the copy makes the slice (50 KiB at 14x14)
/// dense. Weights are packed per slice as [kh][kw][64].
///
/// The inner kernel computes four neighbouring output pixels x 16 channels at once (eight
/// accumulators; each weight load serves four FMAs). Taps valid for all four pixels run in
/// the blocked loop; the few valid for only some (at the borders) are added pixel by pixel,
/// so padded taps are never computed. The epilogue is applied as each pixel is stored.
public enum DepthwiseKernel {
    public static let slice = 64

    /// [C, 1, kh, kw] -> per 64-channel slice s: [kh][kw][width(s)], slices one after another.
    public static func pack(_ w: Tensor) -> [Float] {
        let (c, kh, kw) = (w.dims[0], w.dims[2], w.dims[3])
        var out = [Float](repeating: 0, count: w.count)
        var offset = 0
        for c0 in stride(from: 0, to: c, by: slice) {
            let width = min(slice, c - c0)
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
        // Slices run over output channels; with a channel multiplier m (groups = Cin, Cout = m*Cin)
        // output channel o reads input channel o / m, gathered into the slice copy.
        let slices = (g.outC + slice - 1) / slice
        let multiplier = g.outC / g.inC
        pool.run(chunks: g.batch * slices) { chunk in
            let n = chunk / slices, c0 = (chunk % slices) * slice, width = min(slice, g.outC - c0)
            let local = UnsafeMutablePointer<Float>.allocate(capacity: g.inH * g.inW * width)
            defer { local.deallocate() }
            let image = x + n * g.inH * g.inW * g.inC
            if multiplier == 1 {
                for p in 0..<(g.inH * g.inW) { (local + p * width).update(from: image + p * g.inC + c0, count: width) }
            } else {
                for p in 0..<(g.inH * g.inW) { for j in 0..<width { local[p * width + j] = image[p * g.inC + (c0 + j) / multiplier] } }
            }
            let s = Slice(g: g, x: local, w: weight + c0 * g.kh * g.kw, width: width)
            for oy in 0..<g.outH {
                let ky = s.kyRange(oy)
                var ox = 0
                while ox < g.outW {
                    let block = width % 16 == 0 && g.outW - ox >= 4 ? 4 : 1
                    let row = (n * g.outH + oy) * g.outW + ox
                    let out = y + row * g.outC + c0
                    if block == 4 { s.quad(oy: oy, ox: ox, ky: ky, out: out, outStride: g.outC) } else { s.pixel(oy: oy, ox: ox, ky: ky, out: out) }
                    epilogue.apply(y + row * g.outC, residual: residual.map { $0 + row * g.outC }, rows: block, stride: g.outC, columns: c0, c0 + width)
                    ox += block
                }
            }
        }
    }

    /// One channel slice: a dense input copy [H][W][width] and its weights [kh][kw][width].
    struct Slice {
        let g: ConvGeometry
        let x: UnsafePointer<Float>
        let w: UnsafePointer<Float>
        let width: Int

        @inline(__always)
        func kyRange(_ oy: Int) -> Range<Int> {
            let lo = max(0, (g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
            let hi = min(g.kh, (g.inH + g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
            return lo..<max(lo, hi)
        }

        @inline(__always)
        func kxRange(_ ox: Int) -> Range<Int> {
            let lo = max(0, (g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW)
            let hi = min(g.kw, (g.inW + g.padLeft - ox * g.strideW + g.dilationW - 1) / g.dilationW)
            return lo..<max(lo, hi)
        }

        /// Address of input pixel (iy, ix), channel `ch` of the slice.
        @inline(__always)
        func input(_ iy: Int, _ ix: Int, _ ch: Int) -> UnsafeRawPointer {
            UnsafeRawPointer(x + (iy * g.inW + ix) * width + ch)
        }

        @inline(__always)
        func tap(_ ky: Int, _ kx: Int, _ ch: Int) -> UnsafeRawPointer {
            UnsafeRawPointer(w + (ky * g.kw + kx) * width + ch)
        }

        /// Four output pixels (ox..ox+3) of row oy, all channels of the slice, 16 at a time.
        @inline(__always)
        func quad(oy: Int, ox: Int, ky: Range<Int>, out: UnsafeMutablePointer<Float>, outStride: Int) {
            let r = (kxRange(ox), kxRange(ox + 1), kxRange(ox + 2), kxRange(ox + 3))
            let lo = max(r.0.lowerBound, r.1.lowerBound, r.2.lowerBound, r.3.lowerBound)
            let common = lo..<max(lo, min(r.0.upperBound, r.1.upperBound, r.2.upperBound, r.3.upperBound))
            let pixel = g.strideW * width * 4, tapStep = g.dilationW * width * 4, weightStep = width * 4
            var ch = 0
            while ch < width {
                var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
                var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
                if !common.isEmpty {
                    for ky in ky {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                        var p = input(iy, ox * g.strideW - g.padLeft + common.lowerBound * g.dilationW, ch)
                        var q = tap(ky, common.lowerBound, ch)
                        var left = common.count
                        while left > 0 {
                            let wl = q.loadUnaligned(as: SIMD8<Float>.self), wh = q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                            a0.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), wl)
                            b0.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), wh)
                            a1.addProduct(p.loadUnaligned(fromByteOffset: pixel, as: SIMD8<Float>.self), wl)
                            b1.addProduct(p.loadUnaligned(fromByteOffset: pixel + 32, as: SIMD8<Float>.self), wh)
                            a2.addProduct(p.loadUnaligned(fromByteOffset: 2 * pixel, as: SIMD8<Float>.self), wl)
                            b2.addProduct(p.loadUnaligned(fromByteOffset: 2 * pixel + 32, as: SIMD8<Float>.self), wh)
                            a3.addProduct(p.loadUnaligned(fromByteOffset: 3 * pixel, as: SIMD8<Float>.self), wl)
                            b3.addProduct(p.loadUnaligned(fromByteOffset: 3 * pixel + 32, as: SIMD8<Float>.self), wh)
                            p += tapStep
                            q += weightStep
                            left -= 1
                        }
                    }
                }
                store(a0, b0, pixel: 0, ox: ox, oy: oy, ky: ky, range: r.0, common: common, ch: ch, out: out)
                store(a1, b1, pixel: 1, ox: ox, oy: oy, ky: ky, range: r.1, common: common, ch: ch, out: out + outStride)
                store(a2, b2, pixel: 2, ox: ox, oy: oy, ky: ky, range: r.2, common: common, ch: ch, out: out + 2 * outStride)
                store(a3, b3, pixel: 3, ox: ox, oy: oy, ky: ky, range: r.3, common: common, ch: ch, out: out + 3 * outStride)
                ch += 16
            }
        }

        /// Adds the border taps valid for this pixel only, then stores 16 channels.
        @inline(__always)
        func store(
            _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, pixel i: Int, ox: Int, oy: Int, ky: Range<Int>, range: Range<Int>,
            common: Range<Int>, ch: Int, out: UnsafeMutablePointer<Float>
        ) {
            var l = lo, h = hi
            if range != common {
                for ky in ky {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in range where !common.contains(kx) {
                        let p = input(iy, (ox + i) * g.strideW - g.padLeft + kx * g.dilationW, ch), q = tap(ky, kx, ch)
                        l.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), q.loadUnaligned(as: SIMD8<Float>.self))
                        h.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    }
                }
            }
            let o = UnsafeMutableRawPointer(out + ch)
            o.storeBytes(of: l, as: SIMD8<Float>.self)
            o.storeBytes(of: h, toByteOffset: 32, as: SIMD8<Float>.self)
        }

        /// One output pixel, any slice width: 8 channels at a time, then single channels.
        @inline(__always)
        func pixel(oy: Int, ox: Int, ky: Range<Int>, out: UnsafeMutablePointer<Float>) {
            let kx = kxRange(ox)
            var ch = 0
            while ch + 8 <= width {
                var a = SIMD8<Float>()
                for ky in ky {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in kx {
                        a.addProduct(
                            input(iy, ox * g.strideW - g.padLeft + kx * g.dilationW, ch).loadUnaligned(as: SIMD8<Float>.self),
                            tap(ky, kx, ch).loadUnaligned(as: SIMD8<Float>.self))
                    }
                }
                UnsafeMutableRawPointer(out + ch).storeBytes(of: a, as: SIMD8<Float>.self)
                ch += 8
            }
            while ch < width {
                var a: Float = 0
                for ky in ky {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in kx {
                        a += x[(iy * g.inW + ox * g.strideW - g.padLeft + kx * g.dilationW) * width + ch] * w[(ky * g.kw + kx) * width + ch]
                    }
                }
                out[ch] = a
                ch += 1
            }
        }
    }
}
