/// Elementary functions on Float vectors in plain vector arithmetic (a library call per lane
/// would cost more than the kernels around it).
enum VectorMath {
    /// e^x for x <= 0 (softmax's shifted scores): x = n ln 2 + r with |r| <= ln 2 / 2, e^r by
    /// its Taylor series to degree 7 (truncation below 5e-9 relative), times 2^n built in the
    /// exponent bits. Inputs below -87 give e^-87 (about 1.6e-38) instead of underflowing.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let floor: Float = -87
        let c = x.replacing(with: floor, where: x .< floor)
        // Adding 1.5 * 2^23 rounds to an integer, which then sits in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = c * SIMD8<Float>(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        var r = c - n * SIMD8<Float>(repeating: 0.693_145_75)
        r = r - n * SIMD8<Float>(repeating: 1.428_606_8e-6)
        var p = SIMD8<Float>(repeating: 1 / 5040)
        p = SIMD8<Float>(repeating: 1 / 720).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1 / 120).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1 / 24).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1 / 6).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 0.5).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1).addingProduct(p, r)
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- unsafeBitCast(magic, to: SIMD8<UInt32>.self)
        let power = unsafeBitCast((bits &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * power
    }
}
