import ArchcSpec
import ArgumentParser
import Foundation

/// Flags shared by every command that reads a spec.
struct SpecOptions: ParsableArguments {
    @Argument(help: "The architecture spec (YAML), e.g. specs/robust-resnet-dw-small.yaml.")
    var spec: String

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override a spec value before validation, e.g. --set stages[2].depth=14, --set kernel=7, --set 'stages[*].kernel=7'. Repeatable.",
            valueName: "key=value"))
    var overrides: [String] = []

    @Option(parsing: .unconditional, help: "Images per batch (costs are reported per image; the memory guard scales with the batch).")
    var batch: Int = 1

    @Option(
        name: .customLong("max-memory"),
        help: ArgumentHelp(
            "Refuse specs whose weights or any single activation exceed this size, and (run) an engine whose activations together do (e.g. 512M, 8G).",
            valueName: "size"))
    var maxMemory: String = "4G"

    @Flag(name: .customLong("no-color"), help: "Never colour diagnostics (they are coloured only on a terminal).")
    var noColor = false

    func validate() throws {
        guard batch >= 1, batch <= 65536 else { throw ValidationError("--batch must be between 1 and 65536, found \(batch)") }
        guard Format.parseBytes(maxMemory) != nil else { throw ValidationError("--max-memory expects a size such as 512M or 8G, found '\(maxMemory)'") }
    }

    var elaborationOptions: ElaborationOptions {
        ElaborationOptions(batch: batch, maxBytes: Format.parseBytes(maxMemory) ?? 4 << 30)
    }

    func compile() -> Compilation {
        Compiler.compile(path: spec, overrides: overrides, options: elaborationOptions)
    }

    /// Prints diagnostics to standard error; colour only when it is a terminal.
    func printDiagnostics(_ diagnostics: DiagnosticEngine) {
        guard !diagnostics.diagnostics.isEmpty else { return }
        let colour = !noColor && isatty(2) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var text = diagnostics.rendered(colour: colour) + "\n"
        let count = diagnostics.errors.count
        if count > 0 { text += "\(count) error\(count == 1 ? "" : "s") generated\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
