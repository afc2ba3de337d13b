/// The arithmetic of the engine's GEMM-shaped layers (1x1 convs, im2col convs, linears).
public enum Precision: Sendable, Equatable {
    /// Everything in float32 (the default).
    case fp32
    /// Those layers in int8 with int32 sums (`Int8Gemm`), their inputs quantized with the
    /// calibrated ranges; every other layer, and every layer's output, stays float32.
    case int8(ActivationRanges)

    public var name: String {
        switch self {
        case .fp32: return "fp32"
        case .int8: return "int8"
        }
    }
}
