import CKernelSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process's resident memory as the kernel counts it (what `--bench` reports beside
/// the bytes the engine knows it holds), and the C heap policy that keeps it near them.
public enum ProcessMemory {
    /// Gives every block of 128 KiB or more (a weight tensor) a mapping of its own, so a
    /// tensor freed once folded or packed goes back to the kernel at once. With glibc's
    /// default the threshold rises to the largest block freed so far (up to 32 MiB), later
    /// tensors are carved from the heap, and freed ones stay resident: ResNet-50's peak held
    /// two copies of its weights (209 MB against 150 MB with this). Call before the weights
    /// are made; it affects only where large blocks come from.
    public static func mapLargeAllocations() {
        _ = archc_map_allocations_from(128 << 10)
    }

    /// The highest resident set size of this program so far, in bytes: /proc/self/status's
    /// VmHWM, else getrusage's ru_maxrss. Not ru_maxrss first: Linux carries it over an
    /// exec from the forked copy of the parent, so archc started by a 1 GB test process
    /// reported a 1 GB peak.
    public static func peakResidentBytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            return kib * 1024
        }
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
    }

    /// The resident set size now (/proc/self/statm's second field, in pages), in bytes; 0
    /// where /proc is not available.
    public static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let fields = String(cString: line).split(separator: " ").compactMap { Int($0) }
        guard fields.count >= 2 else { return 0 }
        return fields[1] * sysconf(Int32(_SC_PAGESIZE))
    }
}
