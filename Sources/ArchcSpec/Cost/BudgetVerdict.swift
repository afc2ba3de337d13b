/// Whether a network's MACs sit inside its budget, and by how much it misses.
public struct BudgetVerdict: Sendable {
    public struct StageLine: Sendable {
        public var index: Int
        public var block: String
        public var depth: Int
        public var macs: Int
        /// MACs of the reference's stage of the same index, when the budget is another spec.
        public var referenceMacs: Int?
        /// MACs one more block of this stage adds (the marginal block, not the strided one).
        public var blockMacs: Int
    }

    public var target: Double
    public var tolerance: Double
    public var actual: Int
    public var referenceName: String?
    public var stages: [StageLine]

    public var low: Double { target * (1 - tolerance) }
    public var high: Double { target * (1 + tolerance) }
    public var within: Bool { Double(actual) >= low && Double(actual) <= high }
    /// Relative distance from the target (+3% = above).
    public var deviation: Double { target > 0 ? Double(actual) / target - 1 : 0 }

    /// "4.60 G ± 5.0%" or "resnet50 (4.11 G) ± 5.0%".
    public var targetDescription: String {
        let base = Format.si(target)
        return (referenceName.map { "\($0) (\(base))" } ?? base) + " ± " + Format.percent(tolerance)
    }

    /// One line for the summary.
    public var summary: String {
        let sign = deviation >= 0 ? "+" : ""
        return "\(targetDescription): \(within ? "within" : "OUTSIDE") (\(sign)\(Format.percent(deviation)))"
    }

    /// The gap explained per stage: its MACs, the reference's, and how many blocks of that
    /// stage alone would bring the model inside.
    public var gapLines: [String] {
        let (edge, verb) = Double(actual) > high ? (high, "remove") : (low, "add")
        let gap = abs(Double(actual) - edge)
        var lines = [
            "MACs \(Format.si(actual)) are \(Double(actual) > high ? "above" : "below") the budget \(targetDescription) [\(Format.si(low)), \(Format.si(high))] by \(Format.si(gap))"
        ]
        for stage in stages {
            var line = "stage \(stage.index) (\(stage.block) x\(stage.depth)): \(Format.si(stage.macs))"
            if let reference = stage.referenceMacs {
                let delta = stage.macs - reference
                line += " vs \(Format.si(reference)) in the reference (\(delta >= 0 ? "+" : "-")\(Format.si(abs(delta))))"
            }
            if stage.blockMacs > 0 {
                // A budget of 1e300 MACs is a valid number but no Int: count blocks in Double.
                let blocks = (gap / Double(stage.blockMacs)).rounded(.up)
                // A stage keeps at least one block, and the network at most SpecLimits.blocks.
                let possible = verb == "remove" ? Double(stage.depth - 1) : Double(SpecLimits.blocks - stage.depth)
                if blocks > possible {
                    line +=
                        verb == "remove"
                        ? "; removing blocks here alone cannot reach it (depth 1 is the least)"
                        : "; adding blocks here alone cannot reach it within the \(SpecLimits.blocks)-block limit"
                } else {
                    line += "; \(verb) \(Int(blocks)) block\(blocks == 1 ? "" : "s") of \(Format.si(stage.blockMacs)) here alone"
                }
            }
            lines.append(line)
        }
        return lines
    }
}
