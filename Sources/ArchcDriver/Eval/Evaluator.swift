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
    /// `profile` receives where the time went once all are scored.
    public func run(
        _ samples: [EvalSample], firstIndex: Int = 0, subsets: [String: ClassSubset], transform: Transform? = nil,
        progress: Progress? = nil, profile: ((EvalProfile) -> Void)? = nil, warn: (String) -> Void = { _ in }
    ) throws -> [EvalKey: EvalCounts] {
        var counts: [EvalKey: EvalCounts] = [:]
        for sample in samples { counts[sample.key, default: EvalCounts()].found += 1 }
        guard !samples.isEmpty else { return counts }
        let dims = model.optimized.inputType.dims  // (C, H, W)
        let imageSize = dims.reduce(1, *)
        // No larger than the images there are: --batch 800 over 3 photos planned, allocated
        // and ran a batch of 800 (35 s and 1.6 GB for three images).
        let batch = min(options.batch, samples.count)
        let engine = try Engine(graph: model.optimized, batch: batch, threads: options.threads)
        let preprocessing = self.preprocessing
        let prefetcher = BatchPrefetcher<Result<Prepared, IOError>>(count: samples.count, batch: batch, workers: options.workers) { i in
            Result { try Self.prepare(samples[i], index: firstIndex + i, preprocessing, transform) }.mapError {
                let error = $0 as? IOError ?? IOError(samples[i].path, "\($0)")
                return error.file == samples[i].path ? samples[i].error(error.message) : error
            }
        }
        defer { prefetcher.finish() }
        var timing = EvalProfile()
        (timing.workers, timing.threads, timing.batch) = (options.workers, options.threads, batch)
        let start = Self.now(), startCPU = Self.processCPUTime()
        var done = 0, nonFiniteImages = 0
        // (B, C, H, W); a short last batch and failed images are zeros, their rows unread.
        var input = [Float](repeating: 0, count: batch * imageSize)
        while true {
            let asked = Self.now()
            guard let items = prefetcher.next() else { break }
            let got = Self.now()
            timing.waiting += got - asked
            Self.fill(&input, with: items, imageSize: imageSize, profile: &timing)
            let modelStart = Self.now()
            let output = try engine.run(Tensor(dims: [batch] + dims, data: input))
            let modelEnd = Self.now()
            timing.model += modelEnd - modelStart
            let width = output.count / batch
            for (b, item) in items.enumerated() {
                let sample = samples[done + b]
                switch item {
                case .failure(let error):
                    guard options.skipBad else { throw error }
                    warn(IOError.printable("\(error.file): warning: skipped: \(error.message)"))
                case .success(let prepared):
                    guard prepared.pixels.count == imageSize else {
                        throw IOError(sample.path, "prepared image has \(prepared.pixels.count) values, expected \(imageSize)")
                    }
                    let row = output.data[b * width..<(b + 1) * width], allowed = subsets[sample.key.set]?.indices
                    let rank = Self.rank(of: sample.label, in: row, allowed: allowed)
                    // The same values rank looked at: a NaN outside ImageNet-R's 200 classes was
                    // counted as non-finite on an image scored right, a count the report's own
                    // reader then refused (non_finite above count - top5_correct).
                    if rank == Int.max, Self.rankedAgainstNonFinite(row, allowed: allowed) {
                        nonFiniteImages += 1
                        counts[sample.key]!.nonFinite += 1
                        if nonFiniteImages == 1 {
                            warn(
                                IOError.printable(
                                    "\(sample.path): warning: \(model.network.name)'s output for this image is NaN or infinite; such images are counted as wrong"
                                ))
                        }
                    }
                    counts[sample.key]!.evaluated += 1
                    if rank < 1 { counts[sample.key]!.top1 += 1 }
                    if rank < 5 { counts[sample.key]!.top5 += 1 }
                }
            }
            done += items.count
            timing.batches += 1
            timing.batching += (modelStart - got) + (Self.now() - modelEnd)
            progress?(done, samples.count, Self.now() - start)
        }
        if nonFiniteImages > 1 {
            warn("warning: \(nonFiniteImages) images had NaN or infinite values in \(model.network.name)'s output, each counted as wrong")
        }
        timing.images = done
        timing.seconds = Self.now() - start
        timing.cpu = Self.processCPUTime() - startCPU
        profile?(timing)
        return counts
    }

    /// One image ready for the model, (C, H, W), and the seconds each stage took.
    struct Prepared {
        var pixels: [Float]
        var decode = 0.0, corrupt = 0.0, resize = 0.0
    }

    /// Copies a batch's images into `input` (rows of failed images and beyond a short
    /// batch are left as they were: their outputs are never read) and adds up their stage times.
    static func fill(_ input: inout [Float], with items: [Result<Prepared, IOError>], imageSize: Int, profile: inout EvalProfile) {
        for (b, item) in items.enumerated() {
            guard case .success(let prepared) = item else { continue }
            profile.decode += prepared.decode
            profile.corrupt += prepared.corrupt
            profile.resize += prepared.resize
            guard prepared.pixels.count == imageSize else { continue }
            input.replaceSubrange(b * imageSize..<(b + 1) * imageSize, with: prepared.pixels)
        }
    }

    /// Decode, transform, preprocess: (C, H, W) floats, each stage's CPU time measured.
    static func prepare(_ sample: EvalSample, index: Int, _ preprocessing: Preprocessing, _ transform: Transform?) throws -> Prepared {
        do {
            let t0 = threadCPUTime()
            var image = try DecodedImage.read(sample.path)
            let t1 = threadCPUTime()
            if let transform { image = try transform(image, sample, index) }
            let t2 = threadCPUTime()
            let pixels = try preprocessing.apply(image, file: sample.path).data
            return Prepared(pixels: pixels, decode: t1 - t0, corrupt: t2 - t1, resize: threadCPUTime() - t2)
        } catch let failure as DecodedImage.Failure {
            throw IOError(failure.file, failure.message)
        }
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// CPU seconds the calling thread has run.
    static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// CPU seconds (user + system) of the whole process.
    static func processCPUTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Whether a value `rank` compares is NaN or infinite: any of the row, or of its allowed
    /// classes. Such an image ranks last (counted wrong), and is what `nonFinite` counts.
    public static func rankedAgainstNonFinite(_ row: ArraySlice<Float>, allowed: [Int]?) -> Bool {
        guard let allowed else { return row.contains { !$0.isFinite } }
        return allowed.contains { $0 < row.count && !row[row.startIndex + $0].isFinite }
    }

    /// How many allowed classes rank above `label`: a higher logit, or an equal one at a
    /// lower index (the order `OutputSummary.topK` prints). A label outside `allowed` ranks last.
    public static func rank(of label: Int, in row: ArraySlice<Float>, allowed: [Int]?) -> Int {
        let base = row.startIndex
        guard label >= 0, label < row.count else { return Int.max }
        let value = row[base + label]
        // NaN compares false both ways: a row of NaN ranked every label first (a model that
        // output nothing but NaN scored 100% top-1), and a row of +inf or -inf ties everywhere
        // (label 0 won every tie). A non-finite value the label is ranked against counts as wrong.
        guard value.isFinite, !rankedAgainstNonFinite(row, allowed: allowed) else { return Int.max }
        let beats = { (j: Int) in row[base + j] > value || (row[base + j] == value && j < label) }
        guard let allowed else { return (0..<row.count).filter(beats).count }
        guard allowed.contains(label) else { return Int.max }
        return allowed.filter { $0 < row.count && beats($0) }.count
    }
}
