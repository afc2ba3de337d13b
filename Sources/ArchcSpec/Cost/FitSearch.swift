/// The search behind `Fitter.fit`, bounded: candidates are predicted from each stage's
/// measured marginal cost (arithmetic), ranked, and only those predicted inside the budget
/// are elaborated to confirm.
///
/// Unbounded, a 16-stage spec with an unreachable budget enumerated every depth vector up
/// to 12 edits (billions), ran for 41 s and 4 GB and then aborted. Now at most
/// `SpecLimits.fitCandidates` vectors are ranked and `SpecLimits.fitElaborations`
/// networks elaborated; past either the search gives up and reports the closest vector seen.
final class FitSearch {
    let spec: ModelSpec
    let budget: BudgetVerdict
    let depths: [Int]
    /// The network's MACs, summed once (`Network.macs` walks every layer).
    let macs: Int
    let options: ElaborationOptions
    /// The budget's reference network, compiled once by the caller and reused per candidate.
    var reference: Network?
    /// The bounds; tests lower them to reach each without a long search.
    var maxCandidates = SpecLimits.fitCandidates
    var maxElaborations = SpecLimits.fitElaborations
    private(set) var ranked = 0
    private(set) var elaborated = 0
    /// The ranked vector whose predicted MACs came nearest the budget's centre.
    private var closest: (deltas: [Int], distance: Double)?

    init(spec: ModelSpec, network: Network, budget: BudgetVerdict, options: ElaborationOptions) {
        self.spec = spec
        self.budget = budget
        self.depths = network.stages.map(\.depth)
        self.maxElaborations = Self.elaborationLimit(layers: network.layers.count)
        self.macs = network.macs
        self.options = options
    }

    /// How many networks of about `layers` layers the search may elaborate: `fitElaborations`,
    /// fewer for a network so large that they would pass `fitElaboratedLayers`.
    static func elaborationLimit(layers: Int) -> Int {
        max(1, min(SpecLimits.fitElaborations, SpecLimits.fitElaboratedLayers / max(1, layers)))
    }

    /// A candidate: depth changes per stage and its sort key (stages touched, -deepest, distance).
    typealias Candidate = (deltas: [Int], key: [Double])

    func run(maxEdits: Int) -> Result<Fitter.Proposal, Fitter.Failure> {
        guard let marginal = marginalMacs() else { return .failure(gaveUp()) }
        for edits in 1...maxEdits {
            var inWindow: [Candidate] = []
            var current: [Int] = []
            let complete = enumerate(remaining: edits, stage: 0, current: &current, marginal, into: &inWindow)
            for candidate in inWindow.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                guard elaborated < maxElaborations else { return .failure(gaveUp()) }
                if let proposal = confirm(candidate.deltas) { return .success(proposal) }
            }
            if !complete { return .failure(gaveUp()) }
        }
        return .failure(.noSolution(maxEdits: maxEdits))
    }

    /// The cost of one more block per stage, measured, so the search itself is arithmetic.
    private func marginalMacs() -> [Double]? {
        var marginal: [Double] = []
        for i in depths.indices {
            guard elaborated < maxElaborations else { return nil }
            var grown = depths
            grown[i] += 1
            elaborated += 1
            let edited = Compiler.elaborate(Fitter.withDepths(spec, grown), options: options, checkBudget: false)
            // Both counts are non-negative, so the difference cannot overflow.
            marginal.append(Double((edited.network?.macs ?? macs) - macs))
        }
        return marginal
    }

    /// The candidate's sort key when its predicted MACs fall inside the budget, else nil.
    /// Called for every enumerated vector: kept to plain loops over doubles.
    private func rank(_ deltas: [Int], _ marginal: [Double]) -> Candidate? {
        var predicted = Double(macs)
        for i in deltas.indices { predicted += Double(deltas[i]) * marginal[i] }
        let distance = abs(predicted - budget.target)
        if distance < closest?.distance ?? .infinity { closest = (deltas, distance) }
        guard predicted >= budget.low, predicted <= budget.high else { return nil }
        let touched = deltas.indices.filter { deltas[$0] != 0 }
        let deepest = touched.map { depths[$0] }.max() ?? 0
        return (deltas, [Double(touched.count), Double(-deepest), distance])
    }

    /// Elaborates the edited spec; the proposal when it really lands inside the budget.
    private func confirm(_ deltas: [Int]) -> Fitter.Proposal? {
        elaborated += 1
        let proposed = zip(depths, deltas).map { $0 + $1 }
        let edited = Compiler.elaborate(Fitter.withDepths(spec, proposed), options: options, reference: reference)
        guard let verdict = edited.budget, let net = edited.network, verdict.within else { return nil }
        return Fitter.Proposal(original: depths, proposed: proposed, macs: net.macs, verdict: verdict)
    }

    /// The failure that says the search stopped, with the closest vector elaborated once more.
    private func gaveUp() -> Fitter.Failure {
        var proposal: Fitter.Proposal?
        if let (deltas, _) = closest {
            let proposed = zip(depths, deltas).map { $0 + $1 }
            let edited = Compiler.elaborate(Fitter.withDepths(spec, proposed), options: options, reference: reference)
            if let verdict = edited.budget, let net = edited.network {
                proposal = Fitter.Proposal(original: depths, proposed: proposed, macs: net.macs, verdict: verdict)
            }
        }
        return .gaveUp(ranked: ranked, elaborated: elaborated, elaborationLimit: maxElaborations, closest: proposal)
    }

    /// Ranks every way to change the depths by `remaining` blocks in total, no stage below
    /// depth 1, in a fixed order, keeping those predicted inside the budget; false when the
    /// candidate limit stopped it early.
    private func enumerate(
        remaining: Int, stage: Int, current: inout [Int], _ marginal: [Double], into inWindow: inout [Candidate]
    ) -> Bool {
        if stage == depths.count - 1 {
            for delta in signed(remaining) where depths[stage] + delta >= 1 {
                guard ranked < maxCandidates else { return false }
                ranked += 1
                current.append(delta)
                if let candidate = rank(current, marginal) { inWindow.append(candidate) }
                current.removeLast()
            }
            return true
        }
        for magnitude in 0...remaining {
            for delta in signed(magnitude) where depths[stage] + delta >= 1 {
                current.append(delta)
                let finished = enumerate(remaining: remaining - magnitude, stage: stage + 1, current: &current, marginal, into: &inWindow)
                current.removeLast()
                guard finished else { return false }
            }
        }
        return true
    }

    private func signed(_ magnitude: Int) -> [Int] { magnitude == 0 ? [0] : [magnitude, -magnitude] }
}
