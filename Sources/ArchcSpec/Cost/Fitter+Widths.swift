/// Width edits for `archc fit --width`: for each stage, the smallest change of its width
/// parameter (in steps of 8 channels, which the kernels like) that alone brings the spec
/// inside its budget. Depth is the paper's knob; width is offered for comparison.
extension Fitter {
    public struct WidthProposal: Sendable {
        public var stage: Int
        public var parameter: String
        public var original: Int
        public var proposed: Int
        public var macs: Int
        public var verdict: BudgetVerdict

        public var flag: String { "--set stages[\(stage)].\(parameter)=\(proposed)" }
        public var relativeChange: Double { Double(proposed - original) / Double(original) }
    }

    /// Block parameters taken to be a stage's width.
    public static let widthParameters = ["dim", "width", "out_ch"]
    public static let widthStep = 8

    /// One proposal per stage that can reach the budget within +-50% of its width, smallest change first.
    public static func fitWidths(_ compilation: Compilation, options: ElaborationOptions = .init()) -> Result<[WidthProposal], Failure> {
        guard let spec = compilation.spec, compilation.network != nil, compilation.blockingErrors.isEmpty else {
            return .failure(.doesNotCompile)
        }
        guard let base = compilation.budget else { return .failure(spec.budget == nil ? .noBudget : .doesNotCompile) }
        var proposals: [WidthProposal] = []
        for (index, stage) in spec.stages.enumerated() {
            guard let arg = stage.args.first(where: { widthParameters.contains($0.key) }), let text = arg.value.scalar,
                let width = ScalarParsing.int(text), width > 0
            else { continue }
            let direction = Double(compilation.network!.macs) < base.low ? 1 : -1
            var candidate = width
            while abs(candidate - width) <= width / 2 {
                candidate += Int(direction) * widthStep
                guard candidate > 0 else { break }
                var edited = spec
                edited.expect = nil
                edited.stages[index].args = stage.args.map {
                    $0.key == arg.key ? .init(key: $0.key, keyLocation: $0.keyLocation, value: .scalar(String(candidate), at: $0.value.location)) : $0
                }
                let result = Compiler.elaborate(edited, options: options)
                guard let verdict = result.budget, let network = result.network else { break }
                if verdict.within {
                    proposals.append(
                        WidthProposal(stage: index, parameter: arg.key, original: width, proposed: candidate, macs: network.macs, verdict: verdict))
                    break
                }
                // Overshot the window without landing in it: this stage cannot do it alone.
                if (direction > 0 && Double(network.macs) > verdict.high) || (direction < 0 && Double(network.macs) < verdict.low) { break }
            }
        }
        return .success(proposals.sorted { abs($0.relativeChange) < abs($1.relativeChange) })
    }
}
