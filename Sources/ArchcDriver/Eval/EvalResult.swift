/// What one model scored: exact counts per data set and, for corrupted sets, per corruption
/// and severity; the derived accuracies, CE and mCE. A shard's result is a partial one
/// (`shard` set); `merge` adds partial results' counts into the result one run would give.
public struct EvalResult: Equatable, Sendable {
    public var model: String
    /// Where each set came from (`--data`, `--imagenet-c`, ...), by set name.
    public var sources: [String: String]
    /// The classes each set was scored over.
    public var subsets: [String: ClassSubset]
    public var counts: [EvalKey: EvalCounts]
    /// Set when this is one shard's partial result.
    public var shard: Shard?
    /// Clean top-1 accuracy given on the command line, for relative mCE.
    public var givenCleanTop1: Double?
    /// The `--set` overrides and the weights the results were made with ("run" in JSON):
    /// parts of one run must agree. Nil in reports written before it was recorded.
    public var run: String?

    public init(
        model: String, sources: [String: String], subsets: [String: ClassSubset], counts: [EvalKey: EvalCounts] = [:], shard: Shard? = nil,
        givenCleanTop1: Double? = nil
    ) {
        self.model = model
        self.sources = sources
        self.subsets = subsets
        self.counts = counts
        self.shard = shard
        self.givenCleanTop1 = givenCleanTop1
    }

    /// The data set names in the paper's column order, then any others alphabetically.
    public static let setOrder = ["imagenet", "stylized", "imagenet-c", "corrupted", "imagenet-r", "sketch"]

    public var sets: [String] {
        let present = Set(sources.keys).union(counts.keys.map(\.set))
        return Self.setOrder.filter(present.contains) + present.subtracting(Self.setOrder).sorted()
    }

    public var total: EvalCounts { counts.values.reduce(EvalCounts(), +) }

    public func total(of set: String) -> EvalCounts {
        counts.filter { $0.key.set == set }.values.reduce(EvalCounts(), +)
    }

    /// The corrupted entries, sorted by set, corruption and severity.
    public var corrupted: [(key: EvalKey, counts: EvalCounts)] {
        counts.filter { $0.key.corruption != nil }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Top-1 error by corruption and severity, over every corrupted set.
    public var errors: [String: [Int: Double]] {
        var out: [String: [Int: Double]] = [:]
        for (key, counts) in corrupted {
            guard let corruption = key.corruption, let severity = key.severity else { continue }
            out[corruption, default: [:]][severity] = counts.top1Error
        }
        return out
    }

    /// Clean accuracy for relative mCE: the `imagenet` set's, else the one given.
    public var cleanTop1: Double? {
        let clean = counts[EvalKey(set: "imagenet")]
        if let clean, clean.evaluated > 0 { return clean.top1Accuracy }
        return givenCleanTop1
    }

    public var ce: [String: Double] { CorruptionError.ce(errors) }
    public var mce: Double? { CorruptionError.mean(ce) }
    public var relativeCE: [String: Double] { cleanTop1.map { CorruptionError.relativeCE(errors, cleanError: 1 - $0) } ?? [:] }
    public var relativeMCE: Double? { CorruptionError.mean(relativeCE) }

    /// One table row in the paper's order: IN, S-IN and IN-R/IN-SK top-1, IN-C mCE.
    public var paperRow: (imagenet: Double?, stylized: Double?, mce: Double?, imagenetR: Double?, sketch: Double?) {
        let top1 = { (set: String) -> Double? in
            let t = total(of: set)
            return t.evaluated > 0 ? t.top1Accuracy : nil
        }
        return (top1("imagenet"), top1("stylized"), mce, top1("imagenet-r"), top1("sketch"))
    }
}
