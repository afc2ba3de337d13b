import ArchcIR
import ArchcRuntime
import Foundation

/// Times the engine: warm-up runs, then `iterations` timed runs; fastest, median and p90 latency.
public struct Benchmark: Sendable {
    public var latenciesMs: [Double]
    public var batch: Int
    public var threads: Int
    public var peakBytes: Int

    /// The fastest run: what the machine gives when nothing else takes its cores or caches
    /// (`tools/ort-bench` reports ONNX Runtime's too).
    public var minMs: Double { latenciesMs.min() ?? 0 }
    public var medianMs: Double { percentile(0.5) }
    public var p90Ms: Double { percentile(0.9) }
    public var imagesPerSecond: Double { Double(batch) / (medianMs / 1000) }

    /// Nearest-rank percentile of the timed runs.
    public func percentile(_ q: Double) -> Double {
        let sorted = latenciesMs.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// `progress(done, total)` is called after each run (warm-up included).
    public static func run(
        _ engine: Engine, input: Tensor, warmup: Int = 3, iterations: Int,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Benchmark {
        try run(
            batch: engine.batch, threads: engine.pool.threads, peakBytes: engine.peakBytes, warmup: warmup, iterations: iterations,
            progress: progress
        ) { _ = try engine.run(input) }
    }

    /// Times any way of running the model (the runtime, or a generated model's `predict`).
    public static func run(
        batch: Int, threads: Int, peakBytes: Int, warmup: Int = 3, iterations: Int,
        progress: ((Int, Int) -> Void)? = nil, _ body: () throws -> Void
    ) rethrows -> Benchmark {
        let total = warmup + iterations
        var latencies: [Double] = []
        for i in 0..<total {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if i >= warmup { latencies.append(elapsed) }
            progress?(i + 1, total)
        }
        return Benchmark(latenciesMs: latencies, batch: batch, threads: threads, peakBytes: peakBytes)
    }
}
