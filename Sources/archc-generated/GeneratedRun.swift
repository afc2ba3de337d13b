import ArchcDriver
import ArchcGenerated
import ArchcIO
import ArchcIR
import ArchcRuntime
import ArchcSpec
import ArgumentParser
import Foundation

/// `archc-generated SPEC`: run the model generated/ holds for a spec, as `archc run` runs it
/// on the runtime. A separate program so that archc, which writes generated/, never links it.
@main
struct GeneratedRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archc-generated",
        abstract: "Run the Swift model generated/ holds for a spec (./generate.sh writes them), like `archc run`.",
        discussion: """
            Refused when the spec no longer gives the graph the model was generated from. \
            Exit status: 0 on success, 1 on an error, 64 for a malformed command line.
            """
    )

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The architecture spec (YAML) the model was generated from, e.g. specs/tiny/tiny-resnet.yaml.")
    var spec: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value, as for archc run. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Images per seeded batch (an --input sets its own).")
    var batch: Int = 1

    @Option(help: ArgumentHelp("Weights, as for archc run (safetensors or a PyTorch checkpoint).", valueName: "file"))
    var weights: String?

    @Option(name: .customLong("strip-prefix"), help: ArgumentHelp("Drop this prefix from checkpoint tensor names.", valueName: "prefix"))
    var stripPrefix: String?

    @Option(help: ArgumentHelp("Photos, folders of them, or one float32 .npy (N, C, H, W), as for archc run (repeatable).", valueName: "file"))
    var input: [String] = []

    @Option(help: "How many classes to show per image.")
    var top: Int = 5

    @Option(help: "Worker threads (default: every CPU this process may use).")
    var threads: Int = WorkerPool.allowedCPUs

    @Option(help: "Seed for the weights and input when none are given.")
    var seed: UInt64 = 0

    @Option(
        name: .customLong("init"),
        help:
            "How seeded weights are drawn: pytorch (an untrained PyTorch model's initialisation) or stress (statistics far from the defaults, for testing passes and exports)."
    )
    var initStyle: WeightInit.Style = .pytorch

    @Flag(help: "Time the model instead of printing its output.")
    var bench = false

    @Option(help: "Timed runs for --bench (after 3 warm-up runs). (default: 10)")
    var iterations: Int?

    @Flag(help: "Compare the generated model's output with the runtime's and the reference interpreter's.")
    var check = false

    @Option(help: "Output format: text or json.")
    var report: Report = .text

    func validate() throws {
        guard batch >= 1, batch <= 65536 else { throw ValidationError("--batch must be between 1 and 65536, found \(batch)") }
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, found \(threads)") }
        if let iterations {
            guard iterations >= 1, iterations <= 100_000 else { throw ValidationError("--iterations must be between 1 and 100000, found \(iterations)") }
        }
        if let conflict = RunSession.modeConflict(bench: bench, check: check, json: report == .json, iterations: iterations != nil) {
            throw ValidationError(conflict)
        }
        guard top >= 1 else { throw ValidationError("--top must be at least 1, found \(top)") }
    }

    /// The one place this program reports an error and exits.
    func run() throws {
        do {
            try execute()
        } catch let failure as RunSession.Failure {
            FileHandle.standardError.write(Data((failure.description + "\n").utf8))
            throw ExitCode.failure
        } catch let error as EngineError {
            FileHandle.standardError.write(Data("\(spec): error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func execute() throws {
        var options = PreparedModel.Options()
        options.overrides = overrides
        options.elaboration.batch = batch
        options.weights = weights
        options.stripPrefix = stripPrefix
        options.seed = seed
        options.initStyle = initStyle
        let session = try RunSession.start(spec: spec, inputs: input, options).get()
        if check { try session.checkOneBatch(spec: spec) }
        let model = session.model
        let type = try generatedType(for: model)
        let generated: any GeneratedModel
        do {
            generated = try type.init(weights: model.optimized.constants, threads: threads)
        } catch {
            throw RunSession.Failure.message("\(spec): error: \(error)")
        }
        let x = session.input
        if check {
            let engine = try Engine(graph: model.optimized, batch: session.batch, threads: threads)
            let result = try ConsistencyCheck.run(model, engine: engine, input: x, generated: ("\(type)", { try generated.predict($0) }))
            print(result.text)
            if !result.passed { throw ExitCode.failure }
        } else if bench {
            let result = try Benchmark.run(batch: session.batch, threads: threads, peakBytes: 0, iterations: iterations ?? 10) { _ = try generated.predict(x) }
            if report == .json {
                print(
                    OutputSummary.jsonText([
                        "name": model.network.name, "engine": "generated", "batch": result.batch, "threads": result.threads,
                        "min_ms": result.minMs, "median_ms": result.medianMs, "p90_ms": result.p90Ms, "images_per_s": result.imagesPerSecond,
                    ]))
            } else {
                print("\(model.network.name) (generated \(type)): batch \(result.batch), \(result.threads) threads, \(result.latenciesMs.count) runs")
                print(String(format: "  median %.2f ms  p90 %.2f ms  %.1f images/s", result.medianMs, result.p90Ms, result.imagesPerSecond))
            }
        } else {
            let y = try session.predictAll { try generated.predict($0) }
            print(
                OutputSummary.report(
                    y, name: model.network.name, files: session.files, k: top, json: report == .json, labelled: weights != nil || !session.files.isEmpty,
                    extra: ["engine": "generated"]))
            if let problem = OutputSummary.nonFiniteProblem(y, files: session.files) {
                FileHandle.standardError.write(Data("\(spec): error: \(problem)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    /// The generated model for this spec, refused when the spec now gives another graph.
    private func generatedType(for model: PreparedModel) throws -> any GeneratedModel.Type {
        let path = SpecLoader.normalised(spec)
        guard let type = GeneratedModels.all.first(where: { path.hasSuffix($0.key) || $0.key.hasSuffix(path) })?.value else {
            throw RunSession.Failure.message(
                "\(spec): error: no generated model for this spec; generated/ holds \(GeneratedModels.all.keys.sorted().joined(separator: ", "))")
        }
        let hash = graphHash(model.optimized)
        guard hash == type.graphHash else {
            throw RunSession.Failure.message(
                "\(spec): error: the generated model \(type) was made from a different graph (hash \(type.graphHash), the spec now gives \(hash)); regenerate it with ./generate.sh"
            )
        }
        return type
    }
}
