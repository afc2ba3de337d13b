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
        case noSolution(maxEdits: Int)

        public var description: String {
            switch self {
            case .noBudget: return "the spec has no 'budget' to fit"
            case .doesNotCompile: return "the spec does not compile; fix its errors first"
            case .noSolution(let edits): return "no change of at most \(edits) blocks brings the spec inside its budget"
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
        // The cost of one more block per stage, measured, so the search itself is arithmetic.
        let marginal = depths.indices.map { i -> Int in
            var grown = depths
            grown[i] += 1
            return (macs(spec, grown, options) ?? network.macs) - network.macs
        }
        // Exhaustive search grows with the number of stages; wide specs search fewer edits.
        let limit = depths.count <= 4 ? maxEdits : 12
        for edits in 1...limit {
            var candidates: [[Int]] = []
            enumerate(depths: depths, remaining: edits, stage: 0, current: [], into: &candidates)
            let ranked = candidates.compactMap { deltas -> (deltas: [Int], key: [Double])? in
                let predicted = Double(network.macs) + zip(deltas, marginal).reduce(0.0) { $0 + Double($1.0 * $1.1) }
                guard predicted >= base.low, predicted <= base.high else { return nil }
                let touched = deltas.indices.filter { deltas[$0] != 0 }
                let deepest = touched.map { depths[$0] }.max() ?? 0
                return (deltas, [Double(touched.count), Double(-deepest), abs(predicted - base.target)])
            }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for candidate in ranked {
                let proposed = zip(depths, candidate.deltas).map { $0 + $1 }
                let edited = Compiler.elaborate(withDepths(spec, proposed), options: options, reference: compilation.reference)
                if let verdict = edited.budget, verdict.within, let net = edited.network {
                    return .success(Proposal(original: depths, proposed: proposed, macs: net.macs, verdict: verdict))
                }
            }
        }
        return .failure(.noSolution(maxEdits: limit))
    }

    /// Every way to change the depths by `remaining` blocks in total, no stage below depth 1.
    private static func enumerate(depths: [Int], remaining: Int, stage: Int, current: [Int], into out: inout [[Int]]) {
        if stage == depths.count - 1 {
            for delta in Set([remaining, -remaining]) where depths[stage] + delta >= 1 { out.append(current + [delta]) }
            return
        }
        for magnitude in 0...remaining {
            for delta in Set([magnitude, -magnitude]) where depths[stage] + delta >= 1 {
                enumerate(depths: depths, remaining: remaining - magnitude, stage: stage + 1, current: current + [delta], into: &out)
            }
        }
    }

    static func withDepths(_ spec: ModelSpec, _ depths: [Int]) -> ModelSpec {
        var edited = spec
        edited.expect = nil
        for (i, depth) in depths.enumerated() where i < edited.stages.count {
            edited.stages[i].depth = .scalar(String(depth), at: spec.stages[i].depth.location)
        }
        return edited
    }

    private static func macs(_ spec: ModelSpec, _ depths: [Int], _ options: ElaborationOptions) -> Int? {
        Compiler.elaborate(withDepths(spec, depths), options: options, checkBudget: false).network?.macs
    }
}
