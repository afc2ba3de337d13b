/// The weight arithmetic of inference-time normalisation, shared by the folding passes
/// and the interpreter so both compute the very same numbers.
public enum NormArithmetic {
    /// BatchNorm in inference as one multiply-add per element: scale = gamma / sqrt(var + eps),
    /// shift = beta - mean * scale (computed in double precision).
    public static func batchNormScaleShift(weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float) -> ([Float], [Float]) {
        var scale = [Float](repeating: 0, count: mean.count), shift = scale
        for c in 0..<mean.count {
            let s = Double(weight?.data[c] ?? 1) / (Double(variance.data[c]) + Double(eps)).squareRoot()
            scale[c] = Float(s)
            shift[c] = Float(Double(bias?.data[c] ?? 0) - Double(mean.data[c]) * s)
        }
        return (scale, shift)
    }

    /// The (scale, shift) of a BatchNorm node's weights, in the order the op lists them.
    public static func batchNormScaleShift(_ weights: [Tensor], eps: Float, affine: Bool) -> ([Float], [Float]) {
        batchNormScaleShift(
            weight: affine ? weights[0] : nil, bias: affine ? weights[1] : nil,
            mean: weights[affine ? 2 : 0], variance: weights[affine ? 3 : 1], eps: eps)
    }
}
