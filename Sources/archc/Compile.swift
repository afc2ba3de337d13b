import ArchcCodegen
import ArchcDriver
import ArchcIO
import ArchcIR
import ArchcLowering
import ArchcONNX
import ArchcPasses
import ArchcPyTorch
import ArchcSpec
import ArgumentParser
import Foundation

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
        case ir, onnx, swift, weights, pytorch
    }

    enum ONNXGraph: String, ExpressibleByArgument, CaseIterable {
        case unfused, optimized
    }

    @OptionGroup var options: SpecOptions

    @Option(help: "What to print: summary, table (per layer, with stage subtotals) or json.")
    var report: Report = .summary

    @Option(help: "Cost column of the table: macs (fvcore convention) or flops (2 x MACs + elementwise).")
    var count: Count = .macs

    @Option(
        help:
            "Emit the compiled model instead of a report: ir (the graph IR after the optimization pipeline), onnx, swift (a generated model class), weights (the optimized graph's folded weights as safetensors, what a generated model loads), or pytorch (the spec as written, unfused, as a standalone PyTorch file to train; its state_dict names are the spec's tensors); all but ir need -o."
    )
    var emit: Emit?

    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the emitted model to this file (whole or not at all).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Weights for --emit onnx: a safetensors checkpoint named as the spec (seeded weights otherwise).", valueName: "file"))
    var weights: String?

    @Option(parsing: .unconditional, help: "Seed for the weights when --weights is not given.")
    var seed: UInt64 = 0

    @Option(
        name: .customLong("init"),
        help:
            "How seeded weights are drawn: pytorch (an untrained PyTorch model's initialisation) or stress (statistics far from the defaults, for testing passes and exports)."
    )
    var initStyle: WeightInit.Style = .pytorch

    @Option(
        name: .customLong("onnx-graph"),
        help: "Which graph --emit onnx writes: unfused (the spec's layers and tensors as the checkpoint has them) or optimized (folded and fused).")
    var onnxGraph: ONNXGraph = .unfused

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
        if emit == nil, printAfterAll || passSummary || !disabledPasses.isEmpty || output != nil || weights != nil {
            throw ValidationError("--print-after-all, --pass-summary, --disable-pass, --output and --weights need --emit")
        }
        if let emit, emit != .ir, output == nil { throw ValidationError("--emit \(emit.rawValue) needs -o FILE") }
        if emit == .pytorch, weights != nil || !disabledPasses.isEmpty {
            throw ValidationError("--emit pytorch writes the model without weights or passes; --weights and --disable-pass do not apply")
        }
        if let output {
            do { try AtomicFile.checkNotAnInput(output, option: "-o", inputs: [options.spec] + (weights.map { [$0] } ?? [])) } catch {
                throw ValidationError((error as? IOError)?.message ?? "\(error)")
            }
        }
    }

    func run() throws {
        let compilation = options.compile()
        options.printDiagnostics(compilation.diagnostics)
        if let spec = compilation.spec, let network = compilation.network, !compilation.diagnostics.hasErrors, emit == .pytorch {
            try emitPyTorch(spec, network, compilation.diagnostics)
        } else if compilation.network != nil, !compilation.diagnostics.hasErrors, let emit, emit != .ir {
            try emitFile(emit)
        } else if let network = compilation.network, !compilation.diagnostics.hasErrors, emit == .ir {
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
        var graph: Graph
        do { graph = try Lowering.lower(network) } catch { throw failure("\(error)") }
        WeightInit.seeded(&graph, seed: 0, style: initStyle)
        let result = Pipeline.run(graph, disabled: Set(disabledPasses), verify: _isDebugAssertConfiguration()) { flag, after in
            if printAfterAll { print("// ----- IR after \(flag) -----\n" + after.text) }
        }
        switch result {
        case .failure(let failure):
            print("archc: internal error: \(failure)")
            throw ExitCode.failure
        case .success(let (optimized, reports)):
            if passSummary { print(Pipeline.summary(before: graph, reports)) }
            if let output {
                do { try AtomicFile.write(Data(optimized.text.utf8), to: output) } catch { throw failure("\(error)") }
            } else if !printAfterAll {
                print(optimized.text, terminator: "")
            }
        }
    }

    /// Writes the spec as written (unfused) as a PyTorch file.
    private func emitPyTorch(_ spec: ModelSpec, _ network: Network, _ diagnostics: DiagnosticEngine) throws {
        let file = URL(fileURLWithPath: output!).lastPathComponent
        let command = (["archc", "compile", options.spec] + options.overrides.flatMap { ["--set", $0] } + ["--emit", "pytorch", "-o", file])
            .joined(separator: " ")
        // Paths in comments relative to where archc runs: a spec's imports may resolve to absolute paths.
        let root = FileManager.default.currentDirectoryPath
        guard let source = PyTorchEmitter.emit(spec: spec, network: network, command: command, root: root, diagnostics: diagnostics) else {
            options.printDiagnostics(diagnostics)
            throw ExitCode.failure
        }
        do { try AtomicFile.write(Data(source.utf8), to: output!) } catch { throw failure("\(error)") }
    }

    /// Prepares the model with its weights and writes it as ONNX, Swift or folded weights.
    private func emitFile(_ kind: Emit) throws {
        var prepare = PreparedModel.Options()
        prepare.overrides = options.overrides
        prepare.elaboration = options.elaborationOptions
        prepare.weights = weights
        prepare.seed = seed
        prepare.initStyle = initStyle
        prepare.disabledPasses = Set(disabledPasses)
        prepare.keepPlain = kind == .onnx && onnxGraph != .optimized
        prepare.weightCopies = kind == .onnx ? 2 : kind == .weights ? 1 : 0
        switch PreparedModel.prepare(spec: options.spec, prepare) {
        case .failure(let failure):
            throw self.failure(failure.description)
        case .success(let model):
            do {
                switch kind {
                case .onnx:
                    try AtomicFile.write(try ONNXExporter.serialized(onnxGraph == .optimized ? model.optimized : model.plain!), to: output!)
                case .swift:
                    let command = (["archc", "compile", options.spec] + options.overrides.flatMap { ["--set", $0] } + ["--emit", "swift", "-o", output!])
                        .joined(separator: " ")
                    let source = SwiftEmitter.emit(
                        model.optimized, network: model.network, typeName: SwiftEmitter.typeName(for: model.network.name), command: command)
                    try AtomicFile.write(Data(source.utf8), to: output!)
                case .weights:
                    try AtomicFile.write(Safetensors.encode(model.optimized.constants), to: output!)
                case .ir, .pytorch:
                    break
                }
            } catch {
                throw failure("\(error)")
            }
        }
    }

    /// Reports `text` on standard error and returns the exit code to throw: ArgumentParser
    /// exits in one place, at the top.
    private func failure(_ text: String) -> ExitCode {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        return ExitCode.failure
    }
}
