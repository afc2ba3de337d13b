import ArchcIR
import CKernelSupport

/// The fused epilogue of a conv or linear, applied to rows of C channels while they are
/// still in cache: `y = post(act(y + bias) + residual)`.
public struct EpilogueKernel {
    public var bias: UnsafePointer<Float>?
    public var activation: Activation?
    public var postActivation: Activation?

    public init(bias: UnsafePointer<Float>?, activation: Activation?, postActivation: Activation?) {
        self.bias = bias
        self.activation = activation
        self.postActivation = postActivation
    }

    /// Applies to columns `c0..<c1` of `rows` rows of width `stride` starting at `y`;
    /// `residual` has the same layout as `y`.
    @inline(__always)
    public func apply(_ y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, stride: Int, columns c0: Int, _ c1: Int) {
        for r in 0..<rows {
            let row = y + r * stride
            let res = residual.map { $0 + r * stride }
            var c = c0
            while c + 8 <= c1 {
                var v = SIMD8<Float>(UnsafeBufferPointer(start: row + c, count: 8))
                if let bias { v += SIMD8<Float>(UnsafeBufferPointer(start: bias + c, count: 8)) }
                UnsafeMutableRawPointer(row + c).storeBytes(of: finish(v, residual: res.map { $0 + c }), as: SIMD8<Float>.self)
                c += 8
            }
            while c < c1 {
                var v = row[c]
                if let bias { v += bias[c] }
                row[c] = finish(v, residual: res?[c])
                c += 1
            }
        }
    }

    /// Everything after the bias, in registers: `post(act(v) + residual)`, for kernels that
    /// start their accumulators from the bias. `residual` points at 8 floats.
    @inline(__always)
    public func finish(_ v: SIMD8<Float>, residual: UnsafePointer<Float>?) -> SIMD8<Float> {
        var v = v
        if let activation { v = Self.activate(v, activation) }
        if let residual { v += archc_load8(residual) }
        if let postActivation { v = Self.activate(v, postActivation) }
        return v
    }

    /// `finish` for one value.
    @inline(__always)
    public func finish(_ v: Float, residual: Float?) -> Float {
        var v = v
        if let activation { v = Self.activate(v, activation) }
        if let residual { v += residual }
        if let postActivation { v = Self.activate(v, postActivation) }
        return v
    }

    /// The activations as the 512-bit GEMM tile names them (`archc_gemm_output`).
    var activationCodes: (Int32, Int32) {
        func code(_ a: Activation?) -> Int32 {
            switch a {
            case nil: return 0
            case .relu: return 1
            case .relu6: return 2
            case .gelu: return 3
            }
        }
        return (code(activation), code(postActivation))
    }

    /// True when nothing is left to do after the GEMM.
    public var isIdentity: Bool { bias == nil && activation == nil && postActivation == nil }

    @inline(__always)
    public static func activate(_ v: SIMD8<Float>, _ act: Activation) -> SIMD8<Float> {
        switch act {
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .relu6: return v.replacing(with: 0, where: v .< 0).replacing(with: 6, where: v .> 6)
        case .gelu: return gelu(v)
        }
    }

    /// GELU, `0.5 x (1 + erf(x / sqrt 2))`, in vector arithmetic (`Erf`): a library `erf` per
    /// lane made a GELU model 1.8x slower than its ReLU twin.
    @inline(__always)
    static func gelu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let half = SIMD8<Float>(repeating: 0.5)
        return half * v * (1 + Erf.erf(v * SIMD8<Float>(repeating: Erf.inverseSqrt2)))
    }

    @inline(__always)
    public static func activate(_ v: Float, _ act: Activation) -> Float {
        switch act {
        case .relu: return v < 0 ? 0 : v
        case .relu6: return v < 0 ? 0 : (v > 6 ? 6 : v)
        // The vector formula, so a value gets the same result in a tile's edge as inside it.
        case .gelu: return gelu(SIMD8<Float>(repeating: v))[0]
        }
    }
}

/// erf for Float vectors: `x P(x^2) / Q(x^2)` on |x| <= 3.92 (beyond, erf is +-1 in Float),
/// P and Q of degree 5, fitted for this project by `Tests/python/fit_erf.py` (weighted least
/// squares); largest error against the exact erf 3.6e-7. `ErfTests` checks it on a dense grid.
enum Erf {
    static let inverseSqrt2: Float = 0.70710678
    static let limit: Float = 3.92
    static let p: (Float, Float, Float, Float, Float, Float) = (
        1.128378987312317, 0.1927909404039383, 0.053063128143548965, 0.0038692308589816093, 0.0002874571073334664,
        2.0339737147878623e-06
    )
    static let q: (Float, Float, Float, Float, Float, Float) = (
        1.0, 0.5041881799697876, 0.11509490758180618, 0.015174140222370625, 0.0011882545659318566, 3.806157474173233e-05
    )

    @inline(__always)
    static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // (`clamped` stays an out-of-line generic call in the kernels.)
        var c = x.replacing(with: -limit, where: x .< -limit)
        c = c.replacing(with: limit, where: c .> limit)
        let u = c * c
        var num = SIMD8<Float>(repeating: p.5), den = SIMD8<Float>(repeating: q.5)
        num = SIMD8(repeating: p.4).addingProduct(num, u)
        den = SIMD8(repeating: q.4).addingProduct(den, u)
        num = SIMD8(repeating: p.3).addingProduct(num, u)
        den = SIMD8(repeating: q.3).addingProduct(den, u)
        num = SIMD8(repeating: p.2).addingProduct(num, u)
        den = SIMD8(repeating: q.2).addingProduct(den, u)
        num = SIMD8(repeating: p.1).addingProduct(num, u)
        den = SIMD8(repeating: q.1).addingProduct(den, u)
        num = SIMD8(repeating: p.0).addingProduct(num, u)
        den = SIMD8(repeating: q.0).addingProduct(den, u)
        return c * num / den
    }
}
