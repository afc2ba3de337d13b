import Foundation

/// The runtime's kernels are compiled for AVX2 + FMA (`-target-cpu haswell`); on a CPU
/// without them they would die of an illegal instruction, so `archc run` checks first.
public enum CPUFeatures {
    /// The missing features among AVX2 and FMA, from /proc/cpuinfo (empty when both exist
    /// or when the file cannot be read, in which case the run is attempted).
    public static func missing() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flagsLine = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return [] }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx2", "fma"].filter { !flags.contains($0) }
    }
}
