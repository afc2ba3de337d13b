import ArchcIR
import ArchcPasses
import ArchcSpec
import ArgumentParser

/// `archc compile SPEC`: validate a spec and report its cost.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a spec, infer every shape, and report parameters and MACs.",
        discussion: """
            Prints a one-screen summary by default. MACs follow fvcore's convention (the \
            field's "FLOPs"); --count flops reports true floating-point operations instead. \
            A spec with a budget fails (exit 1) when its MACs fall outside it.
            """
    )

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case summary, table, json
    }

    enum Count: String, ExpressibleByArgument, CaseIterable {
        case macs, flops
    }

    enum Emit: String, ExpressibleByArgument, CaseIterable {
        case ir
    }

    @OptionGroup var options: SpecOptions

    @Option(help: "What to print: summary, table (per layer, with stage subtotals) or json.")
    var report: Report = .summary

    @Option(help: "Cost column of the table: macs (fvcore convention) or flops (2 x MACs + elementwise).")
    var count: Count = .macs

    @Option(help: "Emit the compiled model instead of a report: ir (the graph IR after the optimization pipeline).")
    var emit: Emit?

    @Option(name: .customLong("disable-pass"), help: ArgumentHelp("Skip a pass of the pipeline (repeatable; 'all' skips every pass).", valueName: "name"))
    var disabledPasses: [String] = []

    @Flag(name: .customLong("print-after-all"), help: "With --emit ir, print the IR after every pass.")
    var printAfterAll = false

    @Flag(name: .customLong("pass-summary"), help: "With --emit ir, print what each pass rewrote and which nodes remain.")
    var passSummary = false

    func validate() throws {
        let known = Pipeline.flags + ["all"]
        for name in disabledPasses where !known.contains(name) {
            throw ValidationError("unknown pass '\(name)' for --disable-pass; the passes are \(Pipeline.flags.joined(separator: ", "))")
        }
        if emit == nil, printAfterAll || passSummary || !disabledPasses.isEmpty {
            throw ValidationError("--print-after-all, --pass-summary and --disable-pass need --emit ir")
        }
    }

    func run() throws {
        let compilation = options.compile()
        options.printDiagnostics(compilation.diagnostics)
        if let network = compilation.network, !compilation.diagnostics.hasErrors, emit == .ir {
            try emitIR(network)
        } else if let network = compilation.network, !compilation.diagnostics.hasErrors {
            switch report {
            case .summary: print(SummaryReport.render(network, budget: compilation.budget, batch: options.batch))
            case .table: print(TableReport.render(network, useFLOPs: count == .flops))
            case .json: print(JSONReport.render(network, budget: compilation.budget, batch: options.batch))
            }
        }
        if !compilation.succeeded { throw ExitCode.failure }
    }

    /// Lowers, optimizes (verifying after each pass in debug builds) and prints the IR.
    private func emitIR(_ network: Network) throws {
        var graph = Lowering.lower(network)
        WeightInit.seeded(&graph, seed: 0)
        let result = Pipeline.run(graph, disabled: Set(disabledPasses), verify: _isDebugAssertConfiguration()) { flag, after in
            if printAfterAll { print("// ----- IR after \(flag) -----\n" + after.text) }
        }
        switch result {
        case .failure(let failure):
            print("archc: internal error: \(failure)")
            throw ExitCode.failure
        case .success(let (optimized, reports)):
            if passSummary { print(Pipeline.summary(before: graph, reports)) }
            if !printAfterAll { print(optimized.text, terminator: "") }
        }
    }
}
