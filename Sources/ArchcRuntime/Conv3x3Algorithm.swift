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

    /// Whether a conv (geometry per image) runs by Winograd under this choice.
    public func usesWinograd(_ g: ConvGeometry) -> Bool {
        guard WinogradKernel.applies(g) else { return false }
        switch self {
        case .winograd: return true
        case .direct: return false
        case .auto: return Self.prefersWinograd(g)
        }
    }

    /// The rule of `auto`, from ratio measurements (Winograd / direct, alternating in one
    /// command, docs/performance.md): TODO measured threshold.
    static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        g.outH * g.outW >= 14 * 14 && g.inC >= 16 && g.outC >= 16
    }
}
