import ArchcKernels

/// How 3x3 stride-1 one-group convs run: Winograd F(4x4, 3x3) (`WinogradKernel`) or the
/// direct implicit-im2col GEMM (`ConvKernels.im2col`). `archc run --conv3x3`.
public enum Conv3x3Algorithm: String, Sendable, CaseIterable {
    /// Winograd where it measured faster on this class of machine (`prefersWinograd`).
    case auto
    /// Winograd for every conv it applies to.
    case winograd
    /// The implicit-im2col GEMM for every conv.
    case direct

    /// Whether a conv runs by Winograd under this choice (`g.batch`: the batch it runs at).
    public func usesWinograd(_ g: ConvGeometry) -> Bool {
        guard WinogradKernel.applies(g) else { return false }
        switch self {
        case .winograd: return true
        case .direct: return false
        case .auto: return Self.prefersWinograd(g)
        }
    }

    /// The rule of `auto`: Winograd when the batch has at least `minTilesForWinograd` 4x4
    /// output tiles. Its 36 transformed weight matrices are 4x the conv's weights, read once
    /// per call; with few tiles (ResNet-50's 7x7 maps at batch 1: 4 tiles) that reading, not
    /// the multiplies, sets the time. Winograd / direct time, archc-kernels --only winograd
    /// (best of 5 timings each, alternating, 1 thread, on a loaded machine):
    /// 56x56 (64 ch) 0.33x, 28x28 (128) 0.41x, 14x14 (256) 0.79x, 7x7 (512) 1.74x at batch 1;
    /// 0.40-0.56x for all four at batch 8 (7x7: 32 tiles).
    static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        g.batch * ((g.outH + 3) / 4) * ((g.outW + 3) / 4) >= minTilesForWinograd
    }

    /// 16: a 14x14 map at batch 1, a 7x7 map from batch 4 on.
    static let minTilesForWinograd = 16
}
