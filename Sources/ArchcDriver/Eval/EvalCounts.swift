/// Exact counts of one evaluated set: images found, evaluated, skipped as unreadable, and
/// how many had their label first (top-1) or among the first five (top-5).
public struct EvalCounts: Equatable, Sendable {
    public var found = 0
    public var evaluated = 0
    public var top1 = 0
    public var top5 = 0

    public init(found: Int = 0, evaluated: Int = 0, top1: Int = 0, top5: Int = 0) {
        self.found = found
        self.evaluated = evaluated
        self.top1 = top1
        self.top5 = top5
    }

    public var skipped: Int { found - evaluated }
    /// Fractions in [0, 1]; 0 when nothing was evaluated.
    public var top1Accuracy: Double { evaluated == 0 ? 0 : Double(top1) / Double(evaluated) }
    public var top5Accuracy: Double { evaluated == 0 ? 0 : Double(top5) / Double(evaluated) }
    public var top1Error: Double { 1 - top1Accuracy }

    public static func + (a: EvalCounts, b: EvalCounts) -> EvalCounts {
        EvalCounts(found: a.found + b.found, evaluated: a.evaluated + b.evaluated, top1: a.top1 + b.top1, top5: a.top5 + b.top5)
    }

    public static func += (a: inout EvalCounts, b: EvalCounts) { a = a + b }
}
