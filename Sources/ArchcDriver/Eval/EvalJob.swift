import ArchcIO
import ArchcImage

/// What `archc eval` was asked to evaluate, turned into one sorted sample list (so that a
/// shard is a deterministic slice of it) and run through a model into an `EvalResult`.
public struct EvalJob {
    /// Plain sets by name: `imagenet` (`--data`), `stylized`, `imagenet-r`, `sketch`.
    public var sets: [(name: String, path: String)] = []
    /// `ROOT/<corruption>/<severity>/<class>/*`.
    public var imagenetC: String?
    /// The classes `--data` is scored over; nil: ImageNet-R's when its class folders are
    /// exactly ImageNet-R's 200, else all.
    public var dataClasses: ClassSubset?
    /// Corruptions applied on the fly to the `imagenet` set (as the `corrupted` set): names and severities.
    public var corruptions: (names: [String], severities: [Int])?
    /// The JPEG quality corrupted images are saved and re-read at, as ImageNet-C's files
    /// were (85); nil leaves them as the corruption made them.
    public var resaveQuality: Int? = Self.imagenetCQuality
    /// ImageNet-C's files are JPEGs saved by PIL at quality 85 (Hendrycks & Dietterich's
    /// `make_imagenet_c.py`: `save(..., quality=85, optimize=True)`).
    public static let imagenetCQuality = 85
    /// One share of the sample list, or nil for all of it.
    public var shard: Shard?
    public var givenCleanTop1: Double?
    /// The photos `frost` blends in, when `corruptions` has frost.
    public var frost: FrostTextures?

    public init() {}

    public struct Plan {
        public var samples: [EvalSample]
        public var subsets: [String: ClassSubset]
        public var sources: [String: String]
    }

    /// Every sample of every set, in set order then path order, before sharding.
    public func plan(classes: Int) throws -> Plan {
        var plan = Plan(samples: [], subsets: [:], sources: [:])
        for (name, path) in sets {
            let dataset = try EvalDataset.load(path, set: name)
            var subset = name == "imagenet-r" ? ClassSubset.imagenetR : .all
            var set = name
            if name == "imagenet" {
                subset = dataClasses ?? ClassSubset.detect(classNames: dataset.classNames)
                if subset == .imagenetR { set = "imagenet-r" }
            }
            try add(
                dataset.samples.map { EvalSample(path: $0.path, label: $0.label, key: EvalKey(set: set), listedAt: $0.listedAt) }, set: set, subset: subset,
                source: path, to: &plan,
                classes: classes)
            // Corrupted copies of --data keep its classes (an ImageNet-R tree stays masked).
            if name == "imagenet", let corruptions {
                var expanded: [EvalSample] = []
                for corruption in corruptions.names {
                    for severity in corruptions.severities {
                        expanded += dataset.samples.map {
                            EvalSample(
                                path: $0.path, label: $0.label, key: EvalKey(set: "corrupted", corruption: corruption, severity: severity),
                                listedAt: $0.listedAt)
                        }
                    }
                }
                try add(expanded, set: "corrupted", subset: subset, source: "\(path), corrupted on the fly\(resaveNote)", to: &plan, classes: classes)
            }
        }
        if let imagenetC {
            try add(try EvalDataset.imagenetC(imagenetC).samples, set: "imagenet-c", subset: .all, source: imagenetC, to: &plan, classes: classes)
        }
        return plan
    }

    /// How the corrupted set's source reads in reports: parts of runs that re-save
    /// differently then refuse to merge.
    private var resaveNote: String { resaveQuality.map { ", saved as JPEG quality \($0)" } ?? ", not re-saved as JPEG" }

    private func add(_ samples: [EvalSample], set: String, subset: ClassSubset, source: String, to plan: inout Plan, classes: Int) throws {
        guard plan.sources[set] == nil else { throw IOError(source, "a second source for the '\(set)' set (already \(plan.sources[set]!))") }
        // The subset's classes are ImageNet indices: a 5-output model kept the few of them
        // below 5 and scored 100% on an ImageNet-R folder.
        if let allowed = subset.indices, classes != ImageNetClasses.names.count {
            throw IOError(
                source, "\(subset.rawValue) scores the \(allowed.count) of its classes among a 1000-class ImageNet model's outputs; this model has \(classes)")
        }
        for sample in samples {
            guard sample.label < classes else { throw sample.error("class \(sample.label) is beyond the model's \(classes) classes") }
            if let allowed = subset.indices, !allowed.contains(sample.label) {
                throw sample.error("class \(sample.label) is not one of the \(allowed.count) classes of \(subset.rawValue)")
            }
        }
        plan.sources[set] = source
        plan.subsets[set] = subset
        plan.samples += samples
    }

    /// ImageNet-C's recipe on a `corrupted` sample, seeded by its position in the sorted list
    /// (so shards and reruns draw the same noise), then saved and re-read as a JPEG of
    /// `quality` when it is set; other samples pass unchanged.
    public static func corrupt(frost: FrostTextures?, resavingAt quality: Int?) -> Evaluator.Transform {
        { image, sample, index in
            guard sample.key.set == "corrupted", let name = sample.key.corruption, let severity = sample.key.severity else { return image }
            guard let corruption = Corruption(rawValue: name) else { throw IOError(sample.path, "unknown corruption '\(name)'") }
            let corrupted = try corruption.imagenetC(image, severity: severity, seed: UInt64(index), frost: frost, file: sample.path)
            guard let quality else { return corrupted }
            return try corrupted.jpegRoundTrip(quality: quality, file: sample.path)
        }
    }

    /// Runs this job's share (`shard`) of the plan through the model.
    public func run(
        _ evaluator: Evaluator, plan: Plan, transform: Evaluator.Transform? = nil, progress: Evaluator.Progress? = nil,
        profile: ((EvalProfile) -> Void)? = nil, warn: (String) -> Void = { _ in }
    ) throws -> EvalResult {
        let range = (shard ?? .whole).range(of: plan.samples.count)
        let counts = try evaluator.run(
            Array(plan.samples[range]), firstIndex: range.lowerBound, subsets: plan.subsets,
            transform: transform ?? Self.corrupt(frost: frost, resavingAt: resaveQuality), progress: progress, profile: profile, warn: warn)
        // Every image skipped (--skip-bad) left nothing to score: "top-1 0.00% (0 of N)" with
        // exit 0 read as a result. A shard may be all bad; the merge reports the whole.
        let found = counts.values.reduce(0) { $0 + $1.found }
        if shard == nil, found > 0, counts.values.allSatisfy({ $0.evaluated == 0 }) {
            throw IOError(
                plan.sources.values.sorted().joined(separator: ", "),
                "none of the \(found) images could be evaluated (all skipped as unreadable); no accuracy to report")
        }
        return EvalResult(
            model: evaluator.model.network.name, sources: plan.sources, subsets: plan.subsets, counts: counts,
            shard: shard, givenCleanTop1: givenCleanTop1)
    }
}
