import ArchcKernels

/// Whether an expand 1x1 conv and the depthwise conv that alone reads it run as one step
/// (`ExpandDepthwiseKernel`) or as two.
public enum ExpandDepthwiseFusion: String, Sendable, CaseIterable {
    /// Fused where it measured faster (`prefersFused`).
    case auto
    /// Fused wherever the kernel supports the pair (tests).
    case always
    /// Two steps, as the Swift emitter prints them.
    case off

    /// Whether the pair runs fused under this choice, at `batch` (1 inside an image-major prefix).
    public func fuses(expand e: ConvGeometry, depthwise g: ConvGeometry, batch: Int) -> Bool {
        guard ExpandDepthwiseKernel.supports(expand: e, depthwise: g) else { return false }
        switch self {
        case .always: return true
        case .off: return false
        case .auto: return Self.prefersFused(expand: e, depthwise: g, batch: batch)
        }
    }

    /// The rule of `auto`: fused when the wide map the two steps would pass between them (at
    /// the batch the step runs at) is at least `minimumWideBytes`, so it would leave L2 (512
    /// KiB per core) before the depthwise conv reads it back. Fused / two steps, archc-kernels
    /// --only expand-dw (best of 5-7 alternating timings, load 4-7, 1 and 2 threads):
    /// Lite0's block 1 (112x112, 4.8 MB) 0.69-0.80, blocks 2-3 (56x56, 1.8 MB) 0.83-0.97;
    /// 28x28 (0.75 MB) 0.95-1.07 and 14x14 / 7x7 at batch 1 (0.2-0.5 MB) 0.83-1.16: no gain
    /// the noise shows; at batch 8 (1.8-4.2 MB) 0.67-1.09 for 14x14, 0.82-1.56 for 7x7.
    static let minimumWideBytes = 1 << 20

    static func prefersFused(expand e: ConvGeometry, depthwise g: ConvGeometry, batch: Int) -> Bool {
        batch * e.outC * e.outH * e.outW * MemoryLayout<Float>.size >= minimumWideBytes
    }
}
