import ArchcIR

/// Reorders PyTorch-layout weights (OIHW) into what each kernel reads.
public enum WeightPacking {
    /// [Cout, Cin, kh, kw] -> [Cout, kh, kw, Cin]: one GEMM row per output channel, in the
    /// (ky, kx, ci) order `im2col` gathers. 1x1 weights are unchanged.
    public static func ohwi(_ w: Tensor) -> [Float] {
        let (o, i, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
        var out = [Float](repeating: 0, count: w.count)
        for oc in 0..<o {
            for ic in 0..<i {
                for y in 0..<kh {
                    for x in 0..<kw {
                        out[((oc * kh + y) * kw + x) * i + ic] = w.data[((oc * i + ic) * kh + y) * kw + x]
                    }
                }
            }
        }
        return out
    }

    /// Depthwise [C, 1, kh, kw] -> [kh, kw, C]: a tap's weights for consecutive channels are contiguous.
    public static func depthwise(_ w: Tensor) -> [Float] {
        let (c, kh, kw) = (w.dims[0], w.dims[2], w.dims[3])
        var out = [Float](repeating: 0, count: w.count)
        for ch in 0..<c { for y in 0..<kh { for x in 0..<kw { out[(y * kw + x) * c + ch] = w.data[(ch * kh + y) * kw + x] } } }
        return out
    }
}
