import ArchcSpec
import ArgumentParser
import Foundation

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
            "Also propose width edits: per stage, the smallest change of its width parameter (dim, width or out_ch, in steps of 8) that alone meets the budget; then the smallest factor for every stage's width together."
    )
    var width = false

    func run() throws {
        let compilation = options.compile()
        if !compilation.blockingErrors.isEmpty || compilation.network == nil {
            options.printDiagnostics(compilation.diagnostics)
            throw ExitCode.failure
        }
        // No depth edit fits: still show the width edits with --width, then fail.
        var depthFailed = false
        switch Fitter.fit(compilation, options: options.elaborationOptions) {
        case .failure(let failure):
            FileHandle.standardError.write(Data("archc fit: \(failure)\n".utf8))
            guard width, case .noSolution = failure else { throw ExitCode.failure }
            depthFailed = true
        case .success(let proposal):
            let from = proposal.original.map(String.init).joined(separator: ", ")
            let to = proposal.proposed.map(String.init).joined(separator: ", ")
            // Width edits are offered only when the spec is outside its budget.
            if proposal.flags.isEmpty {
                print("depths \(from) already fit: \(proposal.verdict.summary)")
                return
            }
            print("depths \(from) -> \(to): MACs \(Format.si(proposal.macs)), \(proposal.verdict.summary)")
            print("apply with: " + proposal.flags.joined(separator: " "))
        }
        guard width else { return }
        defer { if depthFailed { Fit.exit(withError: ExitCode.failure) } }
        printStageWidths(compilation)
        switch Fitter.fitUniformWidth(compilation, options: options.elaborationOptions) {
        case .failure(let failure):
            print("archc fit: \(failure)")
        case .success(nil):
            print("no common width factor (up to 4x) meets the budget")
        case .success(let p?):
            let from = p.original.map(String.init).joined(separator: ", "), to = p.proposed.map(String.init).joined(separator: ", ")
            print(String(format: "or every stage's width together (x%.2f): %@ -> %@: MACs %@, %@", p.factor, from, to, Format.si(p.macs), p.verdict.summary))
            print("apply with: " + p.flags.joined(separator: " "))
        }
    }

    private func printStageWidths(_ compilation: Compilation) {
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
