import ArchcIR
import Foundation

/// Obviously-correct kernels in NCHW, written as the definitions read. Each fast kernel of
/// the runtime keeps one of these as its naive twin.
public enum NaiveKernels {
    /// (N, C, H, W) -> (N, Cout, Ho, Wo); weight (Cout, C/g, kh, kw), bias (Cout).
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, _ a: ConvAttributes) -> Tensor {
        let (n, c, h, w) = (x.dims[0], x.dims[1], x.dims[2], x.dims[3])
        let (cout, cinPerGroup, kh, kw) = (weight.dims[0], weight.dims[1], weight.dims[2], weight.dims[3])
        let coutPerGroup = cout / a.groups
        let ho = (h + a.padding[0] + a.padding[2] - a.dilation[0] * (kh - 1) - 1) / a.stride[0] + 1
        let wo = (w + a.padding[1] + a.padding[3] - a.dilation[1] * (kw - 1) - 1) / a.stride[1] + 1
        var out = [Float](repeating: 0, count: n * cout * ho * wo)
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { yp in
                    for b in 0..<n {
                        for o in 0..<cout {
                            let g = o / coutPerGroup
                            let initial = bias?.data[o] ?? 0
                            for oy in 0..<ho {
                                for ox in 0..<wo {
                                    var sum: Float = initial
                                    for i in 0..<cinPerGroup {
                                        let ci = g * cinPerGroup + i
                                        for ky in 0..<kh {
                                            let iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0]
                                            if iy < 0 || iy >= h { continue }
                                            for kx in 0..<kw {
                                                let ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1]
                                                if ix < 0 || ix >= w { continue }
                                                sum += xp[((b * c + ci) * h + iy) * w + ix] * wp[((o * cinPerGroup + i) * kh + ky) * kw + kx]
                                            }
                                        }
                                    }
                                    yp[((b * cout + o) * ho + oy) * wo + ox] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(dims: [n, cout, ho, wo], data: out)
    }

    /// `post(act(y) + residual)`, in place.
    public static func applyEpilogue(_ y: inout Tensor, _ e: Epilogue, residual: Tensor?) {
        for i in y.data.indices {
            var v = y.data[i]
            if let act = e.activation { v = activate(v, act) }
            if let residual { v += residual.data[i] }
            if let post = e.postActivation { v = activate(v, post) }
            y.data[i] = v
        }
    }

    public static func activate(_ v: Float, _ act: Activation) -> Float {
        switch act {
        case .relu: return max(v, 0)
        case .relu6: return min(max(v, 0), 6)
        case .gelu: return Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot())))
        }
    }

    /// Where a value keeps its channels: element `(outer, c, inner)` sits at
    /// `(outer * C + c) * inner + inner index`. NCHW maps: (N, C, H*W); tokens (N, T, C):
    /// (N*T, C, 1); vectors (N, F): (N, F, 1).
    public static func channelLayout(_ x: Tensor) -> (outer: Int, channels: Int, inner: Int) {
        switch x.dims.count {
        case 4: return (x.dims[0], x.dims[1], x.dims[2] * x.dims[3])
        case 3: return (x.dims[0] * x.dims[1], x.dims[2], 1)
        default: return (x.dims[0], x.count / x.dims[0], 1)
        }
    }

    /// Per-channel `x * scale[c] + shift[c]`.
    public static func scaleShift(_ x: Tensor, scale: [Float], shift: [Float]) -> Tensor {
        let (outer, c, inner) = channelLayout(x)
        var out = x.data
        for b in 0..<outer {
            for ch in 0..<c {
                let base = (b * c + ch) * inner
                for i in 0..<inner { out[base + i] = x.data[base + i] * scale[ch] + shift[ch] }
            }
        }
        return Tensor(dims: x.dims, data: out)
    }

    /// LayerNorm over the channels at each position: of a pixel (ConvNeXt's channels-first
    /// form), of a token, or of a whole vector.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let (outer, c, inner) = channelLayout(x)
        var out = x.data
        for b in 0..<outer {
            for p in 0..<inner {
                var mean = 0.0, sq = 0.0
                for ch in 0..<c { mean += Double(x.data[(b * c + ch) * inner + p]) }
                mean /= Double(c)
                for ch in 0..<c { let d = Double(x.data[(b * c + ch) * inner + p]) - mean; sq += d * d }
                let inv = 1 / (sq / Double(c) + Double(eps)).squareRoot()
                for ch in 0..<c {
                    let i = (b * c + ch) * inner + p
                    out[i] = Float((Double(x.data[i]) - mean) * inv) * (weight?.data[ch] ?? 1) + (bias?.data[ch] ?? 0)
                }
            }
        }
        return Tensor(dims: x.dims, data: out)
    }

    public static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        Tensor(dims: x.dims, data: x.data.map(f))
    }

    /// Max pool ignores padding; average pool counts it (PyTorch's count_include_pad=True).
    public static func pool(_ x: Tensor, _ p: PoolAttributes, max isMax: Bool) -> Tensor {
        let (n, c, h, w) = (x.dims[0], x.dims[1], x.dims[2], x.dims[3])
        let ho = (h + 2 * p.padding - p.kernel) / p.stride + 1, wo = (w + 2 * p.padding - p.kernel) / p.stride + 1
        var out = [Float](repeating: 0, count: n * c * ho * wo)
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var acc: Float = isMax ? -.infinity : 0
                    for ky in 0..<p.kernel {
                        for kx in 0..<p.kernel {
                            let iy = oy * p.stride - p.padding + ky, ix = ox * p.stride - p.padding + kx
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            let v = x.data[(plane * h + iy) * w + ix]
                            // NaN propagates, as in PyTorch (Swift.max dropped a NaN after a number).
                            acc = isMax ? (v > acc || v.isNaN ? v : acc) : acc + v
                        }
                    }
                    out[(plane * ho + oy) * wo + ox] = isMax ? acc : acc / Float(p.kernel * p.kernel)
                }
            }
        }
        return Tensor(dims: [n, c, ho, wo], data: out)
    }

    /// (N, C, H, W) -> (N, C), the mean of each plane.
    public static func globalAvgPool(_ x: Tensor) -> Tensor {
        let (n, c) = (x.dims[0], x.dims[1])
        let inner = x.count / (n * c)
        var out = [Float](repeating: 0, count: n * c)
        for plane in 0..<(n * c) {
            var sum = 0.0
            for i in 0..<inner { sum += Double(x.data[plane * inner + i]) }
            out[plane] = Float(sum / Double(inner))
        }
        return Tensor(dims: [n, c], data: out)
    }

    /// weight (out, C) applied to the channels at each position: (N, F) -> (N, out),
    /// (N, T, C) -> (N, T, out), (N, C, H, W) -> (N, out, H, W).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let (outer, c, inner) = channelLayout(x)
        let out = weight.dims[0]
        var y = [Float](repeating: 0, count: outer * out * inner)
        for b in 0..<outer {
            for o in 0..<out {
                for p in 0..<inner {
                    var sum = bias?.data[o] ?? 0
                    for i in 0..<c { sum += x.data[(b * c + i) * inner + p] * weight.data[o * c + i] }
                    y[(b * out + o) * inner + p] = sum
                }
            }
        }
        var dims = x.dims
        dims[x.dims.count == 3 ? 2 : 1] = out
        return Tensor(dims: dims, data: y)
    }
}
