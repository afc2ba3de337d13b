import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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

    /// ArgumentParser's `help` printed the top-level help and exited 0 for a name it does
    /// not know (`archc help bogus`); such a name is a usage error, as `archc bogus` is.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "help" {
            var command: ParsableCommand.Type = Archc.self
            for name in arguments.dropFirst() where !name.hasPrefix("-") {
                let subcommands = command.configuration.subcommands
                guard let next = subcommands.first(where: { $0._commandName == name }) else {
                    let known = subcommands.map { $0._commandName }.joined(separator: ", ")
                    exit(withError: ValidationError("no subcommand '\(name)' in '\(command._commandName)'\(known.isEmpty ? "" : " (\(known))")"))
                }
                command = next
            }
        }
        atexit(checkStandardOutput)
        main(arguments)
    }
}

/// Reports, at exit, a failure to write standard output (`archc compile s.yaml --emit ir >
/// /dev/full`): what `print` buffered is flushed here, and an error makes the exit status 1
/// with a message on standard error (exit flushed it after this and ignored the error).
private func checkStandardOutput() {
    errno = 0
    let flushed = fflush(stdout) == 0
    if !flushed || ferror(stdout) != 0 {
        // When a write failed before exit, its errno is gone.
        let reason = !flushed && errno != 0 ? String(cString: strerror(errno)) : "part of the output was not written"
        FileHandle.standardError.write(Data("standard output: error: cannot write: \(reason)\n".utf8))
        _exit(1)
    }
}
