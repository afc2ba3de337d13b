import ArchcKernels
import CKernelSupport

/// The kernels are compiled for AVX2 + FMA (`-target-cpu haswell`); on a CPU without them
/// they would die of an illegal instruction, so the engine and every generated model ask
/// first, before any kernel code runs, and throw instead.
public enum CPUFeatures {
    /// What the kernels are compiled for.
    public static let required = ["avx2", "fma"]

    /// The required features this CPU lacks (empty when it has them all), from CPUID.
    public static func missing() -> [String] {
        var lacking: [String] = []
        if archc_cpu_has_avx2() == 0 { lacking.append("avx2") }
        if archc_cpu_has_fma() == 0 { lacking.append("fma") }
        return lacking
    }

    /// The kernel set in use: "avx512" where the 512-bit kernels run (`AVX512.enabled`), else "avx2".
    public static var kernels: String { AVX512.enabled ? "avx512" : "avx2" }

    /// Throws unless nothing is `missing`: the check that stands between a caller and an
    /// illegal instruction.
    public static func require(missing: [String] = missing()) throws {
        guard missing.isEmpty else { throw EngineError.unsupportedCPU(missing: missing) }
    }
}
