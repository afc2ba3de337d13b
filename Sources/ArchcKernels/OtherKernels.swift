import ArchcIR
import CKernelSupport

/// The non-conv ops on NHWC activations: pools, global pool, per-channel affine, activations,
/// add, flatten, and the layout changes at the graph's edges (LayerNorm is in `TokenKernels`).
public enum OtherKernels {
    /// Max pool skips padding; average pool counts it (PyTorch's count_include_pad=True).
    public static func pool(_ g: ConvGeometry, isMax: Bool, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        if isMax {
            maxPool(g, x: x, y: y, pool: pool)
            return
        }
        let c = g.inC
        pool.run(chunks: g.batch * g.outH) { chunk in
            let n = chunk / g.outH, oy = chunk % g.outH
            for ox in 0..<g.outW {
                let out = y + ((n * g.outH + oy) * g.outW + ox) * c
                out.update(repeating: 0, count: c)
                for ky in 0..<g.kh {
                    let iy = oy * g.strideH - g.padTop + ky
                    guard iy >= 0, iy < g.inH else { continue }
                    for kx in 0..<g.kw {
                        let ix = ox * g.strideW - g.padLeft + kx
                        guard ix >= 0, ix < g.inW else { continue }
                        let p = x + ((n * g.inH + iy) * g.inW + ix) * c
                        for ch in 0..<c { out[ch] += p[ch] }
                    }
                }
                let scale = 1 / Float(g.kh * g.kw)
                for ch in 0..<c { out[ch] *= scale }
            }
        }
    }

    /// The max pool: 8 channels at a time in a register over the window's taps (a scalar loop
    /// ran 2.5x ONNX Runtime's time on ResNet-50's stem pool), the channels past the last
    /// whole 8 one at a time. A tap replaces the running max where it is greater or NaN: NaN
    /// propagates, as in PyTorch (`max` dropped a NaN met after a number).
    static func maxPool(_ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let c = g.inC, vectorChannels = c / 8 * 8
        pool.run(chunks: g.batch * g.outH) { chunk in
            let n = chunk / g.outH, oy = chunk % g.outH
            let y0 = max(0, oy * g.strideH - g.padTop), y1 = min(g.inH, oy * g.strideH - g.padTop + g.kh)
            for ox in 0..<g.outW {
                let x0 = max(0, ox * g.strideW - g.padLeft), x1 = min(g.inW, ox * g.strideW - g.padLeft + g.kw)
                let out = y + ((n * g.outH + oy) * g.outW + ox) * c
                var block = 0
                while block < vectorChannels {
                    var m = SIMD8<Float>(repeating: -.infinity)
                    for iy in y0..<y1 {
                        var p = UnsafeRawPointer(x + ((n * g.inH + iy) * g.inW + x0) * c + block)
                        for _ in x0..<x1 {
                            let v = p.loadUnaligned(as: SIMD8<Float>.self)
                            m.replace(with: v, where: (v .> m) .| (v .!= v))
                            p += c * MemoryLayout<Float>.size
                        }
                    }
                    UnsafeMutableRawPointer(out + block).storeBytes(of: m, as: SIMD8<Float>.self)
                    block += 8
                }
                for ch in vectorChannels..<c {
                    var m = -Float.infinity
                    for iy in y0..<y1 {
                        for ix in x0..<x1 {
                            let v = x[((n * g.inH + iy) * g.inW + ix) * c + ch]
                            if v > m || v.isNaN { m = v }
                        }
                    }
                    out[ch] = m
                }
            }
        }
    }

    /// (N, H, W, C) -> (N, C): the mean over pixels, accumulated in pixel order.
    public static func globalAvgPool(batch: Int, pixels: Int, channels c: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let out = y + n * c
            out.update(repeating: 0, count: c)
            for p in 0..<pixels {
                let row = x + (n * pixels + p) * c
                for ch in 0..<c { out[ch] += row[ch] }
            }
            let scale = 1 / Float(pixels)
            for ch in 0..<c { out[ch] *= scale }
        }
    }

    /// Per-channel `x * scale + shift` over rows of C channels (scale_shift, channel_scale).
    public static func channelAffine(
        rows: Int, channels c: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?
    ) {
        for r in 0..<rows {
            for ch in 0..<c { y[r * c + ch] = x[r * c + ch] * scale[ch] + (shift?[ch] ?? 0) }
        }
    }

    /// An activation not fused into a conv, eight values at a time.
    public static func activation(count: Int, _ act: Activation, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(y + i).storeBytes(of: EpilogueKernel.activate(archc_load8(x + i), act), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] = EpilogueKernel.activate(x[i], act)
            i += 1
        }
    }

    public static func add(count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = a[i] + b[i] }
    }

    /// NCHW -> NHWC (the input), or with `toNHWC` false the other way (outputs, flatten).
    /// In 16 x 16 tiles, so neither side is walked a whole plane or row apart per element
    /// (element by element, a 1024-channel input took 1.4 ms to lay out).
    public static func transpose(batch: Int, channels c: Int, pixels: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, toNHWC: Bool) {
        let tile = 16
        for n in 0..<batch {
            let base = n * c * pixels
            for c0 in stride(from: 0, to: c, by: tile) {
                for p0 in stride(from: 0, to: pixels, by: tile) {
                    for ch in c0..<min(c, c0 + tile) {
                        for p in p0..<min(pixels, p0 + tile) {
                            let planar = base + ch * pixels + p, interleaved = base + p * c + ch
                            if toNHWC { y[interleaved] = x[planar] } else { y[planar] = x[interleaved] }
                        }
                    }
                }
            }
        }
    }
}
