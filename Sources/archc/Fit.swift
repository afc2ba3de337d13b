import ArchcSpec
import ArgumentParser

/// `archc fit SPEC`: propose depth edits that meet the spec's budget.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Propose the smallest stage-depth edits that bring a spec inside its MACs budget.",
        discussion: """
            Fewest blocks changed first, then fewest stages touched, then the deepest stage, \
            then closest to the budget's centre. Prints the --set flags that apply the proposal.
            """
    )

    @OptionGroup var options: SpecOptions

    @Flag(
        help:
            "Also propose width edits: per stage, the smallest change of its width parameter (dim, width or out_ch, in steps of 8) that alone meets the budget."
    )
    var width = false

    func run() throws {
        let compilation = options.compile()
        if !compilation.blockingErrors.isEmpty || compilation.network == nil {
            options.printDiagnostics(compilation.diagnostics)
            throw ExitCode.failure
        }
        let depth: Fitter.Proposal
        switch Fitter.fit(compilation, options: options.elaborationOptions) {
        case .failure(let failure):
            print("archc fit: \(failure)")
            throw ExitCode.failure
        case .success(let proposal):
            depth = proposal
            let from = proposal.original.map(String.init).joined(separator: ", ")
            let to = proposal.proposed.map(String.init).joined(separator: ", ")
            if proposal.flags.isEmpty {
                print("depths \(from) already fit: \(proposal.verdict.summary)")
            } else {
                print("depths \(from) -> \(to): MACs \(Format.si(proposal.macs)), \(proposal.verdict.summary)")
                print("apply with: " + proposal.flags.joined(separator: " "))
            }
        }
        // Width edits are offered only when the spec is outside its budget.
        guard width, !depth.flags.isEmpty else { return }
        switch Fitter.fitWidths(compilation, options: options.elaborationOptions) {
        case .failure(let failure):
            print("archc fit: \(failure)")
        case .success(let proposals) where proposals.isEmpty:
            print("no single stage's width (within +-50%) meets the budget alone")
        case .success(let proposals):
            print("or by width, one stage at a time (smallest change first):")
            for p in proposals {
                print(
                    String(
                        format: "  stage %d %@ %d -> %d (%+.1f%%): MACs %@, %@", p.stage, p.parameter, p.original, p.proposed,
                        100 * p.relativeChange, Format.si(p.macs), p.verdict.summary) + "  \(p.flag)")
            }
        }
    }
}
