import CKernelSupport
import Dispatch

/// This machine's FMA peak, measured rather than assumed: the profiler and the kernel
/// benchmark report achieved GFLOP/s as a share of it. (The notes' 2 FMA pipes x 8 lanes x 2
/// FLOP x ~3.0 GHz = 96 GFLOP/s per core understates these cores, which run at ~3.5 GHz
/// under load: about 112 measured.)
public enum FMAPeak {
    /// GFLOP/s of pure FMA work on `pool`'s threads (best of five ~10 ms runs per thread).
    public static func measure(pool: WorkerPool) -> Double {
        let steps = 1 << 20
        let flopsPerThread = archc_fma_peak_run(steps)  // also a warm-up
        pool.run(chunks: pool.threads) { _ in _ = archc_fma_peak_run(steps) }  // wakes the workers
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            pool.run(chunks: pool.threads) { _ in _ = archc_fma_peak_run(steps) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return Double(pool.threads) * flopsPerThread / best
    }
}
