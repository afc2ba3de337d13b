import CKernelSupport

/// How a tensor's floats map to unsigned 8 bits for the int8 GEMM: `x ~ scale * (q - zeroPoint)`,
/// q in [0, 255], from the range [lo, hi] a calibration run saw (widened to hold 0, so zero
/// padding and ReLU's zeros are exact).
public struct ActivationQuantization: Equatable, Sendable {
    public let scale: Float
    public let zeroPoint: Int

    public init(scale: Float, zeroPoint: Int) {
        (self.scale, self.zeroPoint) = (scale, zeroPoint)
    }

    /// Asymmetric (unsigned) quantization of [lo, hi]; a range of zero width maps to scale 1.
    public init(lo: Float, hi: Float) {
        let lo = min(lo, 0), hi = max(hi, 0)
        let width = hi - lo
        guard width > 0, width.isFinite else {
            self.init(scale: 1, zeroPoint: 0)
            return
        }
        let scale = width / 255
        self.init(scale: scale, zeroPoint: Int(max(0, min(255, (-lo / scale).rounded(.toNearestOrEven)))))
    }

    /// The zero point as the byte that stands for 0 (im2col's padding).
    public var zeroByte: UInt8 { UInt8(zeroPoint) }

    /// Quantizes `rows` rows of `k` floats (`ldx` apart) into rows `ldq` bytes apart, columns
    /// [k, kp) set to `pad`: 16 floats at a time with the 512-bit kernels (`AVX512.enabled`),
    /// else 32 (AVX2, a scalar tail); the same bytes.
    @inline(__always)
    public func quantize(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, ldx: Int, into q: UnsafeMutablePointer<UInt8>, ldq: Int, kp: Int, pad: UInt8 = 0
    ) {
        if AVX512.enabled {
            archc_quantize_u8_avx512(x, rows, k, ldx, q, ldq, kp, 1 / scale, Int32(zeroPoint), pad)
        } else {
            archc_quantize_u8(x, rows, k, ldx, q, ldq, kp, 1 / scale, Int32(zeroPoint), pad)
        }
    }

    /// One value, as the kernel does it (the naive twin).
    public func quantize(_ x: Float) -> UInt8 {
        var v = x * (1 / scale)
        let lo = Float(-zeroPoint), hi = Float(255 - zeroPoint)
        v = v > lo ? v : lo
        v = v < hi ? v : hi
        return UInt8(Int(v.rounded(.toNearestOrEven)) + zeroPoint)
    }

    /// The float a byte stands for.
    public func dequantize(_ q: UInt8) -> Float { scale * Float(Int(q) - zeroPoint) }
}
