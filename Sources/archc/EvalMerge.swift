import ArchcDriver
import ArchcIO
import ArgumentParser
import Foundation

/// `archc eval merge PART.json...`: the report one run would have given, from its shards.
struct EvalMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Add up partial results written by `archc eval --shard K/N --report json` into one report."
    )

    @Argument(help: "Partial results (JSON), one per shard, all shards of one run.")
    var parts: [String]

    @Option(help: "Output format: text, json or csv.")
    var report: EvalReportFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (whole or not at all).", valueName: "file"))
    var output: String?

    func validate() throws {
        if let output {
            do { try AtomicFile.checkNotAnInput(output, option: "-o", inputs: parts) } catch {
                throw ValidationError((error as? IOError)?.message ?? "\(error)")
            }
        }
    }

    func run() throws {
        do {
            let results = try parts.map { file -> (file: String, result: EvalResult) in
                guard let data = FileManager.default.contents(atPath: file) else { throw IOError(file, "cannot read file") }
                return (file, try EvalResult.parse(data, file: file))
            }
            try emitEvalReport([try EvalResult.merge(results)], format: report, output: output)
        } catch let error as IOError {
            evalFail(error.description)
        }
    }
}
