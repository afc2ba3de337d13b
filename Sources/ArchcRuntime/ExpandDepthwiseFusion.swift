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
    /// the batch the step runs at: 1 inside an image-major prefix) is at least
    /// `minimumWideBytes`, about half of L2 (512 KiB per core): the two steps write it and read
    /// it back from L3 or the far part of L2. Fused / two steps, archc-kernels --only expand-dw
    /// (best of 5-7 alternating timings, 1 thread CPU time and 2 threads, load 3-5): Lite0's
    /// block 1 (112x112, 4.8 MB) 0.50-0.62, blocks 2-3 (56x56, 1.8 MB) 0.68-1.00, blocks 4-5
    /// (28x28, 0.75 MB) 0.86-0.96, 14x14 (0.38-0.53 MB) 0.70-0.95; 7x7 at batch 1 (0.23 MB)
    /// 0.91-1.02 (no gain through the noise); at batch 8 (1.8-4.2 MB) 0.81-1.10.
    static let minimumWideBytes = 256 * 1024

    static func prefersFused(expand e: ConvGeometry, depthwise g: ConvGeometry, batch: Int) -> Bool {
        batch * e.outC * e.outH * e.outW * MemoryLayout<Float>.size >= minimumWideBytes
    }
}
