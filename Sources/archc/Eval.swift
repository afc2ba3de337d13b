import ArchcDriver
import ArchcIO
import ArchcRuntime
import ArgumentParser
import Foundation

/// `archc eval`: accuracy of one or more models on ImageNet-style data sets.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate models on ImageNet, its corrupted (-C), rendition (-R), sketch and stylized sets; merge sharded results.",
        discussion: "`archc eval SPEC --weights W --data DIR ...` runs the default subcommand; its flags: archc eval run --help.",
        subcommands: [EvalRun.self, EvalMerge.self],
        defaultSubcommand: EvalRun.self
    )
}

/// Output formats of `archc eval` and `archc eval merge`.
enum EvalReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

/// What `--plot` writes, by the file's extension.
enum PlotFormat {
    case svg, png

    init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "svg": self = .svg
        case "png": self = .png
        default: return nil
        }
    }
}

/// Prints or writes (`-o`, whole or not at all) a report of several models' results.
func emitEvalReport(_ results: [EvalResult], format: EvalReportFormat, output: String?) throws {
    let text: String
    switch format {
    case .text: text = EvalReport.text(results)
    case .csv: text = EvalReport.csv(results)
    case .json:
        if results.count == 1 {
            text = results[0].json
        } else {
            let data = try JSONSerialization.data(withJSONObject: ["models": results.map(\.jsonObject)], options: [.prettyPrinted, .sortedKeys])
            text = String(decoding: data, as: UTF8.self)
        }
    }
    if let output {
        try AtomicFile.write(Data((text + "\n").utf8), to: output)
    } else {
        print(text)
    }
}

func evalFail(_ text: String) -> Never {
    FileHandle.standardError.write(Data((text + "\n").utf8))
    Eval.exit(withError: ExitCode.failure)
}
