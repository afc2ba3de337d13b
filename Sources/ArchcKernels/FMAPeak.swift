import CKernelSupport
import Dispatch

/// This machine's FMA peak, measured rather than assumed: the profiler and the kernel
/// benchmark report achieved GFLOP/s as a share of it. (The notes' 2 FMA pipes x 8 lanes x 2
/// FLOP x ~3.0 GHz = 96 GFLOP/s per core understates these cores, which run at ~3.7 GHz
/// under load: about 117 measured.)
public enum FMAPeak {
    /// GFLOP/s of pure FMA work on `pool`'s threads, as wide as the GEMM's tile runs (16 lanes
    /// where `AVX512.enabled`, else 8): every thread times its own run, and the rates add up
    /// (best of five ~3 ms runs). Timing inside the chunks keeps a worker that
    /// wakes late (the caller then runs its chunk too) from halving the figure.
    public static func measure(pool: WorkerPool) -> Double {
        let steps = 1 << 19
        let run = AVX512.enabled ? archc_fma_peak_run512 : archc_fma_peak_run
        _ = run(steps)  // a warm-up
        let rates = UnsafeMutablePointer<Double>.allocate(capacity: pool.threads)
        defer { rates.deallocate() }
        var best = 0.0
        for _ in 0..<6 {
            pool.run(chunks: pool.threads) { chunk in
                let start = DispatchTime.now().uptimeNanoseconds
                let flops = run(steps)
                rates[chunk] = flops / Double(max(1, DispatchTime.now().uptimeNanoseconds - start))
            }
            best = max(best, (0..<pool.threads).reduce(0) { $0 + rates[$1] })
        }
        return best
    }
}
