import ArgumentParser

/// `archc`: compile, cost and fit CNN architecture specs.
@main
struct Archc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archc",
        abstract: "A model compiler for CNN architecture specs written in YAML.",
        discussion: """
            Exit status: 0 on success, 1 when the spec has errors or misses its budget, \
            64 for a malformed command line.
            """,
        version: "0.1.0",
        subcommands: [Compile.self, Fit.self, Run.self, Calibrate.self, Eval.self, Corrupt.self]
    )
}
