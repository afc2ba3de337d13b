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
        // Each step is a full elaboration; a width of millions would otherwise take hours.
        var elaborations = 0
        for (index, stage) in spec.stages.enumerated() {
            guard let arg = stage.args.first(where: { widthParameters.contains($0.key) }), let text = arg.value.scalar,
                let width = ScalarParsing.int(text), width > 0
            else { continue }
            let direction = Double(compilation.network!.macs) < base.low ? 1 : -1
            var candidate = width
            while abs(candidate - width) <= width / 2, elaborations < SpecLimits.fitElaborations {
                guard let next = Checked.sum([candidate, Int(direction) * widthStep]), next > 0 else { break }
                candidate = next
                elaborations += 1
                var edited = spec
                edited.expect = nil
                edited.stages[index].args = stage.args.map {
                    $0.key == arg.key ? .init(key: $0.key, keyLocation: $0.keyLocation, value: .scalar(String(candidate), at: $0.value.location)) : $0
                }
                let result = Compiler.elaborate(edited, options: options, reference: compilation.reference)
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

/// Every stage's width scaled together (`archc fit --width`'s last line): the way a model
/// family grows from small to base (DeiT-S to DeiT-B doubles the width), found as the
/// smallest common factor that meets the budget.
extension Fitter {
    public struct UniformWidthProposal: Sendable {
        /// The stages whose width changes, with their width parameter.
        public var stages: [Int]
        public var parameters: [String]
        public var original: [Int]
        public var proposed: [Int]
        public var macs: Int
        public var verdict: BudgetVerdict

        public var factor: Double { Double(proposed.first ?? 0) / Double(max(1, original.first ?? 1)) }
        public var flags: [String] { stages.indices.map { "--set stages[\(stages[$0])].\(parameters[$0])=\(proposed[$0])" } }
    }

    /// Widths grow (or shrink) in steps that move the narrowest stage by 8 channels (or by
    /// 1/32 of itself when wider than 768, so at most 96 elaborations), each stage rounded to a
    /// multiple of 8, up to 4x (down to a quarter); nil when no step lands inside.
    public static func fitUniformWidth(_ compilation: Compilation, options: ElaborationOptions = .init()) -> Result<UniformWidthProposal?, Failure> {
        guard let spec = compilation.spec, let network = compilation.network, compilation.blockingErrors.isEmpty else {
            return .failure(.doesNotCompile)
        }
        guard let base = compilation.budget else { return .failure(spec.budget == nil ? .noBudget : .doesNotCompile) }
        var stages: [Int] = [], parameters: [String] = [], widths: [Int] = []
        for (index, stage) in spec.stages.enumerated() {
            guard let arg = stage.args.first(where: { widthParameters.contains($0.key) }), let text = arg.value.scalar,
                let width = ScalarParsing.int(text), width > 0
            else { continue }
            stages.append(index)
            parameters.append(arg.key)
            widths.append(width)
        }
        guard let narrowest = widths.min() else { return .success(nil) }
        let direction = Double(network.macs) < base.low ? 1.0 : -1.0
        // Clamped before multiplying: a width parameter no layer uses can be 2^63 - 1.
        let steps = max(1, min(3 * min(narrowest, 96 * widthStep) / widthStep, 96))
        for k in 1...steps {
            let factor = 1 + direction * 3 * Double(k) / Double(steps)
            guard factor >= 0.25 else { break }
            // A width near Int.max times 4 is no Int: such a spec cannot grow.
            let scaled = widths.map { (Double($0) * factor / Double(widthStep)).rounded() }
            guard scaled.allSatisfy({ $0 < 1e15 }) else { break }
            let proposed = scaled.map { max(widthStep, Int($0) * widthStep) }
            var edited = spec
            edited.expect = nil
            for (i, stage) in stages.enumerated() {
                edited.stages[stage].args = spec.stages[stage].args.map {
                    $0.key == parameters[i] ? .init(key: $0.key, keyLocation: $0.keyLocation, value: .scalar(String(proposed[i]), at: $0.value.location)) : $0
                }
            }
            let result = Compiler.elaborate(edited, options: options, reference: compilation.reference)
            // Some widths do not compile (Up-Inverted-DW's first conv needs a multiple of the
            // stem's width): the next step may.
            guard let verdict = result.budget, let macs = result.network?.macs else { continue }
            if verdict.within {
                return .success(
                    UniformWidthProposal(stages: stages, parameters: parameters, original: widths, proposed: proposed, macs: macs, verdict: verdict))
            }
            // Overshot the window without landing in it.
            if (direction > 0 && Double(macs) > verdict.high) || (direction < 0 && Double(macs) < verdict.low) { break }
        }
        return .success(nil)
    }
}
