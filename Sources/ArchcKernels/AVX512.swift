import CKernelSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The 512-bit kernels: the GEMM's tile (`archc_gemm_tile_avx512`) and the depthwise
/// seven-pixel strip (`archc_dw7_avx512`), C compiled for AVX-512F per function, while the
/// Swift kernels stay compiled for the common AVX2 + FMA target. ONNX Runtime, like most
/// peers, picks its kernels by the CPU it runs on; so does this.
public enum AVX512 {
    /// Whether the kernels run their 512-bit versions: on a CPU with AVX-512F, unless the
    /// environment sets `ARCHC_ISA=avx2` (`asksForAVX2`: the AVX2 kernels everywhere, to
    /// compare the two on one machine). The GEMM gives the same bits either way, the depthwise kernel the same
    /// values for finite inputs (a zero's sign aside: the AVX2 mobile kernels also add taps on
    /// padding, and the AVX2 6- and 13-tap kernels multiply columns by the zero weights past kw,
    /// which turns an infinite input into NaN there).
    public nonisolated(unsafe) static var enabled = archc_cpu_has_avx512f() != 0 && !asksForAVX2(getenv("ARCHC_ISA").map { String(cString: $0) })

    /// Whether an ARCHC_ISA value asks for the AVX2 kernels: "avx2" in any case, spaces aside.
    static func asksForAVX2(_ value: String?) -> Bool {
        value.map { $0.lowercased().filter { !$0.isWhitespace } } == "avx2"
    }
}
