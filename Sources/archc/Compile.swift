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

    @OptionGroup var options: SpecOptions

    @Option(help: "What to print: summary, table (per layer, with stage subtotals) or json.")
    var report: Report = .summary

    @Option(help: "Cost column of the table: macs (fvcore convention) or flops (2 x MACs + elementwise).")
    var count: Count = .macs

    func run() throws {
        let compilation = options.compile()
        options.printDiagnostics(compilation.diagnostics)
        if let network = compilation.network, !compilation.diagnostics.hasErrors {
            switch report {
            case .summary: print(SummaryReport.render(network, budget: compilation.budget, batch: options.batch))
            case .table: print(TableReport.render(network, useFLOPs: count == .flops))
            case .json: print(JSONReport.render(network, budget: compilation.budget, batch: options.batch))
            }
        }
        if !compilation.succeeded { throw ExitCode.failure }
    }
}
