import ArchcIO
import ArchcIR
import ArchcImage
import ArchcRuntime
import Foundation

/// Streams samples through a model: worker threads decode, (corrupt,) resize and normalise
/// images while the runtime runs the previous batch; each output row is scored against its
/// label. Memory holds a few batches of images, never the data set.
public struct Evaluator {
    public struct Options {
        public var batch = 8
        public var threads = WorkerPool.allowedCPUs
        /// Decoding threads (they share the CPUs with the runtime's).
        public var workers = 2
        /// Count unreadable images as skipped (with a warning) instead of stopping.
        public var skipBad = false
        public init() {}
    }

    /// Called after each batch: images done, images in all, seconds since the start.
    public typealias Progress = (_ done: Int, _ total: Int, _ seconds: Double) -> Void
    /// Changes a decoded image before preprocessing (a corruption); the Int is the sample's
    /// index in the whole sorted list, for seeding, so shards corrupt exactly as one run does.
    public typealias Transform = (DecodedImage, EvalSample, Int) throws -> DecodedImage

    public let model: PreparedModel
    public let preprocessing: Preprocessing
    public let options: Options

    public init(model: PreparedModel, preprocessing: Preprocessing, options: Options) {
        self.model = model
        self.preprocessing = preprocessing
        self.options = options
    }

    /// Counts per key for `samples` (indices `firstIndex...` of the sorted list).
    /// Throws the first unreadable image unless `skipBad`, which warns and counts it.
    public func run(
        _ samples: [EvalSample], firstIndex: Int = 0, subsets: [String: ClassSubset], transform: Transform? = nil,
        progress: Progress? = nil, warn: (String) -> Void = { _ in }
    ) throws -> [EvalKey: EvalCounts] {
        var counts: [EvalKey: EvalCounts] = [:]
        for sample in samples { counts[sample.key, default: EvalCounts()].found += 1 }
        guard !samples.isEmpty else { return counts }
        let dims = model.optimized.inputType.dims  // (C, H, W)
        let imageSize = dims.reduce(1, *)
        let engine = try Engine(graph: model.optimized, batch: options.batch, threads: options.threads)
        let preprocessing = self.preprocessing
        let prefetcher = BatchPrefetcher<Result<[Float], IOError>>(count: samples.count, batch: options.batch, workers: options.workers) { i in
            Result { try Self.prepare(samples[i], index: firstIndex + i, preprocessing, transform) }.mapError {
                $0 as? IOError ?? IOError(samples[i].path, "\($0)")
            }
        }
        defer { prefetcher.finish() }
        let start = DispatchTime.now().uptimeNanoseconds
        var done = 0
        while let items = prefetcher.next() {
            // (B, C, H, W); a short last batch and failed images are zeros, their rows unread.
            var input = [Float](repeating: 0, count: options.batch * imageSize)
            for (b, item) in items.enumerated() {
                if case .success(let pixels) = item, pixels.count == imageSize {
                    input.replaceSubrange(b * imageSize..<(b + 1) * imageSize, with: pixels)
                }
            }
            let output = try engine.run(Tensor(dims: [options.batch] + dims, data: input))
            let width = output.count / options.batch
            for (b, item) in items.enumerated() {
                let sample = samples[done + b]
                switch item {
                case .failure(let error):
                    guard options.skipBad else { throw error }
                    warn("\(error.file): warning: skipped: \(error.message)")
                case .success(let pixels):
                    guard pixels.count == imageSize else { throw IOError(sample.path, "prepared image has \(pixels.count) values, expected \(imageSize)") }
                    let rank = Self.rank(of: sample.label, in: output.data[b * width..<(b + 1) * width], allowed: subsets[sample.key.set]?.indices)
                    counts[sample.key]!.evaluated += 1
                    if rank < 1 { counts[sample.key]!.top1 += 1 }
                    if rank < 5 { counts[sample.key]!.top5 += 1 }
                }
            }
            done += items.count
            progress?(done, samples.count, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return counts
    }

    /// Decode, transform, preprocess: (C, H, W) floats.
    static func prepare(_ sample: EvalSample, index: Int, _ preprocessing: Preprocessing, _ transform: Transform?) throws -> [Float] {
        do {
            var image = try DecodedImage.read(sample.path)
            if let transform { image = try transform(image, sample, index) }
            return try preprocessing.apply(image, file: sample.path).data
        } catch let failure as DecodedImage.Failure {
            throw IOError(failure.file, failure.message)
        }
    }

    /// How many allowed classes rank above `label`: a higher logit, or an equal one at a
    /// lower index (the order `OutputSummary.topK` prints). A label outside `allowed` ranks last.
    public static func rank(of label: Int, in row: ArraySlice<Float>, allowed: [Int]?) -> Int {
        let base = row.startIndex
        guard label >= 0, label < row.count else { return Int.max }
        let value = row[base + label]
        let beats = { (j: Int) in row[base + j] > value || (row[base + j] == value && j < label) }
        guard let allowed else { return (0..<row.count).filter(beats).count }
        guard allowed.contains(label) else { return Int.max }
        return allowed.filter { $0 < row.count && beats($0) }.count
    }
}
