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

    func run() throws {
        let compilation = options.compile()
        if !compilation.blockingErrors.isEmpty || compilation.network == nil {
            options.printDiagnostics(compilation.diagnostics)
            throw ExitCode.failure
        }
        switch Fitter.fit(compilation, options: options.elaborationOptions) {
        case .failure(let failure):
            print("archc fit: \(failure)")
            throw ExitCode.failure
        case .success(let proposal):
            let from = proposal.original.map(String.init).joined(separator: ", ")
            let to = proposal.proposed.map(String.init).joined(separator: ", ")
            if proposal.flags.isEmpty {
                print("depths \(from) already fit: \(proposal.verdict.summary)")
            } else {
                print("depths \(from) -> \(to): MACs \(Format.si(proposal.macs)), \(proposal.verdict.summary)")
                print("apply with: " + proposal.flags.joined(separator: " "))
            }
        }
    }
}
