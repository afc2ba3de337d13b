/// The spec layer's front door: load, override, parse, elaborate, price and check a spec.
public struct Compilation {
    public var spec: ModelSpec?
    public var network: Network?
    public var budget: BudgetVerdict?
    /// The budget's reference network, when the budget names one (compiled once, reused by `fit`).
    public var reference: Network?
    public let diagnostics: DiagnosticEngine

    public var succeeded: Bool { network != nil && !diagnostics.hasErrors }

    /// Errors other than a missed budget: what stops `fit`, which exists to mend the budget.
    public var blockingErrors: [Diagnostic] {
        diagnostics.errors.filter { error in spec?.budget.map { $0.location != error.location } ?? true }
    }
}

public enum Compiler {
    /// Compiles the spec at `path`. `checkBudget` is off when compiling a budget's reference;
    /// `namedAt` is where the naming spec points to it.
    public static func compile(
        path: String, overrides: [String] = [], options: ElaborationOptions = .init(),
        checkBudget: Bool = true, namedAt: SourceLocation? = nil
    ) -> Compilation {
        let diagnostics = DiagnosticEngine()
        var parsedOverrides: [Override] = []
        for text in overrides {
            switch Override.parse(text) {
            case .success(let o): parsedOverrides.append(o)
            case .failure(let error): diagnostics.report(error)
            }
        }
        var result = Compilation(diagnostics: diagnostics)
        guard var spec = SpecLoader(diagnostics: diagnostics, directory: options.directory).load(path: path, overrides: parsedOverrides, namedAt: namedAt)
        else { return result }
        // `expect:` describes the file as written; an edited spec is a different model.
        if !overrides.isEmpty { spec.expect = nil }
        result.spec = spec
        return elaborate(spec, into: result, options: options, checkBudget: checkBudget)
    }

    /// Elaborates an already parsed spec (the fitter calls this with edited depths, passing
    /// the budget's `reference` network it already has).
    public static func elaborate(
        _ spec: ModelSpec, into start: Compilation? = nil, options: ElaborationOptions = .init(),
        checkBudget: Bool = true, reference: Network? = nil
    ) -> Compilation {
        var result = start ?? Compilation(spec: spec, diagnostics: DiagnosticEngine())
        result.reference = reference
        let diagnostics = result.diagnostics
        guard let network = Elaborator(spec: spec, diagnostics: diagnostics, options: options).run() else { return result }
        result.network = network
        if let expect = spec.expect, options.batch == 1 { Expectations.check(expect, network, diagnostics) }
        if checkBudget, let budget = spec.budget, !diagnostics.hasErrors {
            result.budget = verdict(budget, spec: spec, network: network, options: options, reference: &result.reference, diagnostics)
            if let verdict = result.budget, !verdict.within {
                let lines = verdict.gapLines
                diagnostics.error(budget.location, lines[0], notes: lines.dropFirst().map { .init(location: budget.location, message: $0) })
            }
        }
        return result
    }

    static func verdict(
        _ budget: ModelSpec.Budget, spec: ModelSpec, network: Network, options: ElaborationOptions,
        reference: inout Network?, _ diagnostics: DiagnosticEngine
    ) -> BudgetVerdict? {
        var target: Double
        switch budget.target {
        case .macs(let macs):
            target = macs
            reference = nil
        case .reference(let path, let location):
            if reference == nil {
                let resolved = SpecLoader.resolve(path, relativeTo: spec.file)
                let compiled = compile(path: resolved, options: options, checkBudget: false, namedAt: location)
                guard let network = compiled.network, compiled.succeeded else {
                    diagnostics.error(
                        location, "the budget's reference '\(path)' does not compile",
                        notes: compiled.diagnostics.errors.prefix(3).map { .init(location: $0.location, message: $0.message) })
                    return nil
                }
                reference = network
            }
            target = Double(reference?.macs ?? 0)
        }
        // Stage by stage only against a reference of the same plan: DeiT-S's one stage of 12
        // transformer blocks says nothing about a CNN's stage 0.
        let comparable = reference.map { $0.stages.count == network.stages.count } ?? false
        let stages = network.stages.map { stage -> BudgetVerdict.StageLine in
            let macs = network.cost(of: .stage(stage.index)).macs
            return .init(
                index: stage.index, block: stage.block, depth: stage.depth, macs: macs,
                referenceMacs: comparable ? reference?.cost(of: .stage(stage.index)).macs : nil,
                blockMacs: marginalBlockMacs(network, stage: stage.index))
        }
        return BudgetVerdict(target: target, tolerance: budget.tolerance, actual: network.macs, referenceName: reference?.name, stages: stages)
    }

    /// MACs of the last block of a stage that is not its strided one: what one more block costs.
    static func marginalBlockMacs(_ network: Network, stage: Int) -> Int {
        var perBlock: [String: Int] = [:]
        var order: [String] = []
        for layer in network.layers where layer.section == .stage(stage) {
            guard let block = layer.block else { continue }
            if perBlock[block] == nil { order.append(block) }
            perBlock[block, default: 0] += layer.cost.macs
        }
        guard !order.isEmpty else { return 0 }
        // The first block of a stage often carries the projection; the middle ones are typical.
        let typical = order.count >= 2 ? order[order.count / 2] : order[0]
        return perBlock[typical] ?? 0
    }
}
