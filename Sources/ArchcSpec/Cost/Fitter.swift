/// Proposes the smallest depth edits that bring a spec inside its MACs budget, as the
/// paper's authors did by hand (Robust-ResNet-DW: depths 3, 4, 6, 3 -> 3, 4, 12, 3).
///
/// "Smallest" means, in order: fewest blocks added or removed; fewest stages touched;
/// the deepest stage preferred (deepening the third stage is ResNet's own convention:
/// ResNet-101 and -152 grow only it); closest to the budget's centre.
public enum Fitter {
    public struct Proposal: Sendable {
        public var original: [Int]
        public var proposed: [Int]
        public var macs: Int
        public var verdict: BudgetVerdict

        /// The `--set` flags that apply the proposal.
        public var flags: [String] {
            zip(original, proposed).enumerated().compactMap { i, pair in
                pair.0 == pair.1 ? nil : "--set stages[\(i)].depth=\(pair.1)"
            }
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noBudget
        case doesNotCompile
        case noStages
        case noSolution(maxEdits: Int)
        /// The search hit `SpecLimits.fitCandidates` or `.fitElaborations`; `closest` is the
        /// ranked candidate nearest the budget's centre, elaborated, when there was one.
        case gaveUp(ranked: Int, elaborated: Int, elaborationLimit: Int, closest: Proposal?)

        public var description: String {
            switch self {
            case .noBudget: return "the spec has no 'budget' to fit"
            case .doesNotCompile: return "the spec does not compile; fix its errors first"
            case .noStages: return "the spec has no stages whose depth could change"
            case .noSolution(let edits): return "no change of at most \(edits) blocks brings the spec inside its budget"
            case .gaveUp(let ranked, let elaborated, let elaborationLimit, let closest):
                var limits = "limits \(SpecLimits.fitCandidates) and \(elaborationLimit)"
                if elaborationLimit < SpecLimits.fitElaborations {
                    limits += ": \(SpecLimits.fitElaboratedLayers) layers elaborated at most"
                }
                var lines = ["gave up after ranking \(ranked) depth changes and elaborating \(elaborated) networks (\(limits)); no proposal meets the budget"]
                if let closest {
                    let from = closest.original.map(String.init).joined(separator: ", ")
                    let to = closest.proposed.map(String.init).joined(separator: ", ")
                    lines.append("closest found: depths \(from) -> \(to): MACs \(Format.si(closest.macs)), \(closest.verdict.summary)")
                    lines.append("apply with: " + closest.flags.joined(separator: " "))
                }
                return lines.joined(separator: "\n")
            }
        }
    }

    public static let maxEdits = 64

    public static func fit(_ compilation: Compilation, options: ElaborationOptions = .init()) -> Result<Proposal, Failure> {
        guard let spec = compilation.spec, let network = compilation.network, compilation.blockingErrors.isEmpty else {
            return .failure(.doesNotCompile)
        }
        guard let base = compilation.budget else { return .failure(spec.budget == nil ? .noBudget : .doesNotCompile) }
        let depths = network.stages.map(\.depth)
        if base.within { return .success(Proposal(original: depths, proposed: depths, macs: network.macs, verdict: base)) }
        guard !depths.isEmpty else { return .failure(.noStages) }
        // Exhaustive search grows with the number of stages; wide specs search fewer edits.
        let limit = depths.count <= 4 ? maxEdits : 12
        let search = FitSearch(spec: spec, network: network, budget: base, options: options)
        search.reference = compilation.reference
        return search.run(maxEdits: limit)
    }

    static func withDepths(_ spec: ModelSpec, _ depths: [Int]) -> ModelSpec {
        var edited = spec
        edited.expect = nil
        for (i, depth) in depths.enumerated() where i < edited.stages.count {
            edited.stages[i].depth = .scalar(String(depth), at: spec.stages[i].depth.location)
        }
        return edited
    }
}
