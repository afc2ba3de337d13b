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

    /// GELU lane by lane, kept out of line: inlined, its eight `erf` calls made `finish` too
    /// large for the optimizer to inline into the depthwise kernel, which then called it for
    /// every vector it stored, spilling its accumulators (ReLU models paid for GELU's size).
    @inline(never) @usableFromInline
    static func gelu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        var out = v
        for i in 0..<8 { out[i] = activate(v[i], .gelu) }
        return out
    }

    @inline(__always)
    public static func activate(_ v: Float, _ act: Activation) -> Float {
        switch act {
        case .relu: return v < 0 ? 0 : v
        case .relu6: return v < 0 ? 0 : (v > 6 ? 6 : v)
        case .gelu: return Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot())))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
