/// Exact counts of one evaluated set: images found, evaluated, skipped as unreadable, and
/// how many had their label first (top-1) or among the first five (top-5), and of the
/// evaluated how many the model gave a NaN or infinite output (counted wrong).
public struct EvalCounts: Equatable, Sendable {
    public var found = 0
    public var evaluated = 0
    public var top1 = 0
    public var top5 = 0
    public var nonFinite = 0

    public init(found: Int = 0, evaluated: Int = 0, top1: Int = 0, top5: Int = 0, nonFinite: Int = 0) {
        self.found = found
        self.evaluated = evaluated
        self.top1 = top1
        self.top5 = top5
        self.nonFinite = nonFinite
    }

    /// The most images a count read from a report may hold (2^40, about 1.1e12: every
    /// ImageNet-scale set many thousand times over): sums of any number of such counts a
    /// command line can name stay far inside `Int`.
    public static let limit = 1 << 40

    public var skipped: Int { found - evaluated }
    /// Fractions in [0, 1]; 0 when nothing was evaluated.
    public var top1Accuracy: Double { evaluated == 0 ? 0 : Double(top1) / Double(evaluated) }
    public var top5Accuracy: Double { evaluated == 0 ? 0 : Double(top5) / Double(evaluated) }
    public var top1Error: Double { 1 - top1Accuracy }

    public static func + (a: EvalCounts, b: EvalCounts) -> EvalCounts {
        EvalCounts(
            found: a.found + b.found, evaluated: a.evaluated + b.evaluated, top1: a.top1 + b.top1, top5: a.top5 + b.top5,
            nonFinite: a.nonFinite + b.nonFinite)
    }

    public static func += (a: inout EvalCounts, b: EvalCounts) { a = a + b }

    /// `a + b`, nil where a sum would pass `limit` (counts read from files being merged).
    public static func sum(_ a: EvalCounts, _ b: EvalCounts) -> EvalCounts? {
        let s = a + b
        return [s.found, s.evaluated, s.top1, s.top5, s.nonFinite].allSatisfy { $0 <= limit } ? s : nil
    }
}
