import ArchcDriver
import ArchcGenerated
import ArchcIO
import ArchcIR
import ArchcRuntime
import ArchcSpec
import ArgumentParser
import Foundation

/// `archc run SPEC`: execute a spec on the CPU runtime.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a spec on the CPU runtime: PyTorch or safetensors weights, photos or .npy in, top classes or .npy out, benchmarks.",
        discussion: """
            Without --weights the weights are seeded (deterministic); without --input the \
            input is a seeded batch. --bench warms up, then times --iterations runs and reports \
            median and p90 latency, images/s and peak memory.
            """
    )

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum EngineKind: String, ExpressibleByArgument, CaseIterable {
        case runtime, generated
    }

    @OptionGroup var options: SpecOptions

    @Option(help: ArgumentHelp("A safetensors checkpoint whose tensor names match the spec's (float32, float16 or bfloat16).", valueName: "file"))
    var weights: String?

    @Option(name: .customLong("strip-prefix"), help: ArgumentHelp("Drop this prefix from checkpoint tensor names (e.g. 'module.').", valueName: "prefix"))
    var stripPrefix: String?

    @Flag(help: "Treat checkpoint tensors the spec does not use as an error, not a warning.")
    var strict = false

    @Option(
        help: ArgumentHelp(
            "The input: photos (PNG, JPEG) or folders of them, prepared as the spec's preprocess: says and batched in order (repeatable); or one float32 .npy of shape (N, C, H, W). N sets the batch.",
            valueName: "file"))
    var input: [String] = []

    @Option(help: "How many classes to show per image (with ImageNet names for 1000-class models).")
    var top: Int = 5

    @Option(help: ArgumentHelp("Write the output as a float32 .npy (written whole or not at all).", valueName: "file.npy"))
    var output: String?

    @Option(help: "Worker threads (default: every CPU this process may use).")
    var threads: Int = WorkerPool.allowedCPUs

    @Option(help: "Seed for the weights and input when none are given.")
    var seed: UInt64 = 0

    @Option(
        help:
            "What executes the model: runtime (archc's engine) or generated (the Swift source in generated/, compiled into archc; refused when the spec no longer matches it)."
    )
    var engine: EngineKind = .runtime

    @Flag(help: "Time the model instead of printing its output.")
    var bench = false

    @Option(help: "Timed runs for --bench (after 3 warm-up runs).")
    var iterations: Int = 10

    @Flag(
        help:
            "Run the input through the reference interpreter (unfused and optimized graphs) and the runtime; report the first layer where they disagree beyond 1e-4 relative."
    )
    var check = false

    @Flag(help: "With --bench, also time every step and report milliseconds, GFLOP/s and the share of the measured FMA peak per layer kind.")
    var profile = false

    @Option(help: "Output format: text or json.")
    var report: Report = .text

    func validate() throws {
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, found \(threads)") }
        guard iterations >= 1, iterations <= 100_000 else { throw ValidationError("--iterations must be between 1 and 100000, found \(iterations)") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1, found \(top)") }
    }

    func run() throws {
        let missing = CPUFeatures.missing()
        guard missing.isEmpty else {
            fail("this CPU lacks \(missing.joined(separator: " and ").uppercased()), which archc's kernels are compiled for (x86-64 with AVX2 and FMA)")
        }
        // Photos need the spec (its input size and preprocessing); .npy files are read as they are.
        var inputs: InputBatch?
        var firstBatch: InputBatch.Loaded?
        if !input.isEmpty {
            let compiled = Compiler.compile(path: options.spec, overrides: options.overrides, options: options.elaborationOptions)
            guard let spec = compiled.spec, let network = compiled.network, compiled.succeeded else {
                options.printDiagnostics(compiled.diagnostics)
                throw ExitCode.failure
            }
            do {
                inputs = try InputBatch.open(input, spec: spec, inputType: TensorType(network.input.dims))
                firstBatch = try inputs!.batch(0)
            } catch let error as IOError {
                fail(error.description)
            }
        }
        var prepareOptions = PreparedModel.Options()
        prepareOptions.overrides = options.overrides
        prepareOptions.elaboration = options.elaborationOptions
        prepareOptions.elaboration.batch = inputs?.batchSize ?? options.batch
        prepareOptions.weights = weights
        prepareOptions.stripPrefix = stripPrefix
        prepareOptions.strict = strict
        prepareOptions.seed = seed
        let model: PreparedModel
        switch PreparedModel.prepare(spec: options.spec, prepareOptions) {
        case .failure(.spec(let diagnostics)):
            options.printDiagnostics(diagnostics)
            throw ExitCode.failure
        case .failure(let failure):
            fail(failure.description)
        case .success(let prepared):
            model = prepared
        }
        options.printDiagnostics(model.compilation.diagnostics)
        if !model.unusedTensors.isEmpty, let weights {
            warn("\(weights): warning: \(model.unusedTensors.count) tensor(s) the spec does not use: " + model.unusedTensors.prefix(5).joined(separator: ", "))
        }
        let batch = prepareOptions.elaboration.batch
        let x = firstBatch?.tensor ?? WeightInit.input(for: model.optimized, batch: batch, seed: seed &+ 1)
        let expected = [batch] + model.optimized.inputType.dims
        guard x.dims == expected else {
            fail("\(input.first ?? "input"): error: expected an input of shape \(expected) (N, C, H, W) for this spec, found \(x.dims)")
        }
        if self.engine == .generated {
            try runGenerated(model, x, inputs)
            return
        }
        let engine = Engine(graph: model.optimized, batch: batch, threads: threads)
        if check {
            // The generated model joins the check when one is compiled in for this exact graph.
            var generated: (name: String, predict: (Tensor) -> Tensor)?
            if let type = generatedType(), type.graphHash == graphHash(model.optimized.text),
                let instance = try? type.init(weights: model.optimized.constants, threads: threads)
            {
                generated = ("\(type)", { instance.predict($0) })
            }
            let result = ConsistencyCheck.run(model, engine: engine, input: x, generated: generated)
            print(result.text)
            if !result.passed { throw ExitCode.failure }
            return
        }
        if bench {
            let progress =
                isatty(2) == 1
                ? { (done: Int, total: Int) in
                    FileHandle.standardError.write(Data("\rbenchmarking \(model.network.name): run \(done)/\(total)".utf8))
                    if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                } : nil
            let result = Benchmark.run(engine, input: x, iterations: iterations, progress: progress)
            let steps = profile ? engine.profile(x, iterations: iterations) : nil
            let peak = profile ? FMAPeak.measure(pool: engine.pool) : 0
            printBenchmark(result, model, engine, profile: steps.map { ($0, peak) })
            return
        }
        let y = runAll(inputs, first: x) { engine.run($0) }
        emit(y, model: model, files: inputs?.files ?? [], extra: ["peak_bytes": engine.peakBytes])
    }

    /// Every batch of the input through `predict`, the outputs of real images concatenated
    /// (padding dropped): photos are decoded one batch at a time.
    private func runAll(_ inputs: InputBatch?, first: Tensor, _ predict: (Tensor) -> Tensor) -> Tensor {
        guard let inputs, inputs.batchCount > 1 else { return predict(first) }
        var dims: [Int] = []
        var data: [Float] = []
        for index in 0..<inputs.batchCount {
            // Batch 0 was decoded already (it sized the model); it is always full.
            var (x, count) = (first, inputs.batchSize)
            if index > 0 {
                do {
                    let batch = try inputs.batch(index)
                    (x, count) = (batch.tensor, batch.count)
                } catch {
                    fail("\(error)")
                }
            }
            let y = predict(x)
            let row = y.count / inputs.batchSize
            dims = Array(y.dims.dropFirst())
            data += y.data[0..<(count * row)]
        }
        return Tensor(dims: [inputs.files.count] + dims, data: data)
    }

    /// Writes `--output` and prints the result, the same whichever engine produced it.
    private func emit(_ y: Tensor, model: PreparedModel, files: [String], extra: [String: Any]) {
        if let output {
            do { try NPY.write(y, to: output) } catch { fail("\(error)") }
        }
        if report == .json {
            let predictions =
                y.dims.count == 2
                ? OutputSummary.predictions(y, k: top).map { row in
                    row.map { ["index": $0.index, "label": $0.label ?? NSNull(), "probability": $0.probability] as [String: Any] }
                } : []
            printJSON(["name": model.network.name, "output_shape": y.dims, "inputs": files, "predictions": predictions].merging(extra) { a, _ in a })
        } else if y.dims.count == 2, weights != nil || !files.isEmpty {
            print(OutputSummary.predictionsText(y, files: files, k: top))
        } else {
            print(OutputSummary.text(y, k: top))
        }
    }

    /// The generated model compiled into archc for this spec, if there is one.
    private func generatedType() -> (any GeneratedModel.Type)? {
        let path = SpecLoader.normalised(options.spec)
        return GeneratedModels.all.first(where: { path.hasSuffix($0.key) || $0.key.hasSuffix(path) })?.value
    }

    /// The same run through the model compiled into archc from generated/.
    private func runGenerated(_ model: PreparedModel, _ x: Tensor, _ inputs: InputBatch?) throws {
        guard let type = generatedType() else {
            fail("\(options.spec): error: no generated model for this spec; generated/ holds \(GeneratedModels.all.keys.sorted().joined(separator: ", "))")
        }
        let hash = graphHash(model.optimized.text)
        guard hash == type.graphHash else {
            fail(
                "\(options.spec): error: the generated model \(type) was made from a different graph (hash \(type.graphHash), the spec now gives \(hash)); regenerate it with ./generate.sh"
            )
        }
        let generated: any GeneratedModel
        do { generated = try type.init(weights: model.optimized.constants, threads: threads) } catch { fail("\(options.spec): error: \(error)") }
        if bench {
            let result = Benchmark.run(batch: x.dims[0], threads: threads, peakBytes: 0, iterations: iterations) { _ = generated.predict(x) }
            if report == .json {
                printJSON([
                    "name": model.network.name, "engine": "generated", "batch": result.batch, "threads": result.threads,
                    "median_ms": result.medianMs, "p90_ms": result.p90Ms, "images_per_s": result.imagesPerSecond, "peak_bytes": result.peakBytes,
                ])
            } else {
                print("\(model.network.name) (generated): batch \(result.batch), \(result.threads) threads, \(result.latenciesMs.count) runs")
                print(String(format: "  median %.2f ms  p90 %.2f ms  %.1f images/s", result.medianMs, result.p90Ms, result.imagesPerSecond))
            }
            return
        }
        emit(runAll(inputs, first: x) { generated.predict($0) }, model: model, files: inputs?.files ?? [], extra: ["engine": "generated"])
    }

    private func printBenchmark(_ b: Benchmark, _ model: PreparedModel, _ engine: Engine, profile: (steps: [Engine.StepTime], peak: Double)?) {
        if report == .json {
            var object: [String: Any] = [
                "name": model.network.name, "batch": b.batch, "threads": b.threads, "iterations": b.latenciesMs.count,
                "median_ms": b.medianMs, "p90_ms": b.p90Ms, "images_per_s": b.imagesPerSecond, "peak_bytes": b.peakBytes,
                "activation_bytes": engine.activationBytes, "weight_bytes": engine.weightBytes,
                "gflops_per_s": Double(model.network.flops) * Double(b.batch) / (b.medianMs / 1000) / 1e9,
            ]
            if let profile {
                let rate = { (flops: Int, ms: Double) in ms > 0 ? Double(flops) / (ms / 1000) / 1e9 : 0 }
                object["profile"] = [
                    "fma_peak_gflops_per_s": profile.peak,
                    "kinds": Engine.byKind(profile.steps).map { ["kind": $0.kind, "ms": $0.ms, "flops": $0.flops, "gflops_per_s": rate($0.flops, $0.ms)] },
                    "layers": profile.steps.map { ["name": $0.name, "kind": $0.kind, "ms": $0.ms, "flops": $0.flops, "gflops_per_s": rate($0.flops, $0.ms)] },
                ]
            }
            printJSON(object)
            return
        }
        print("\(model.network.name): batch \(b.batch), \(b.threads) thread\(b.threads == 1 ? "" : "s"), \(b.latenciesMs.count) runs")
        print(
            String(
                format: "  median %.2f ms  p90 %.2f ms  %.1f images/s  %.1f GFLOP/s", b.medianMs, b.p90Ms, b.imagesPerSecond,
                Double(model.network.flops) * Double(b.batch) / (b.medianMs / 1000) / 1e9))
        print(
            "  memory: weights \(Format.bytes(engine.weightBytes)), activations \(Format.bytes(engine.activationBytes)) (unplanned \(Format.bytes(engine.plan.unplannedBytes))), scratch \(Format.bytes(engine.scratchBytes))"
        )
        if let profile { printProfile(profile.steps, peak: profile.peak) }
    }

    /// Per layer kind: time, share, GFLOP/s and the share of this machine's FMA peak on the
    /// same threads, measured just before (see `FMAPeak`); then the layers that lose the
    /// most time against that peak.
    private func printProfile(_ steps: [Engine.StepTime], peak: Double) {
        let rows = Engine.byKind(steps)
        let total = rows.reduce(0) { $0 + $1.ms }
        let rate = { (flops: Int, ms: Double) in ms > 0 ? Double(flops) / (ms / 1000) / 1e9 : 0 }
        print(String(format: "  FMA peak on %d thread(s), measured: %.1f GFLOP/s", threads, peak))
        print("  kind             ms   share   GFLOP/s  of peak")
        for row in rows {
            print(
                "  " + row.kind.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: " %6.2f  %5.1f%%  %8.1f  %6.1f%%", row.ms, 100 * row.ms / total, rate(row.flops, row.ms), 100 * rate(row.flops, row.ms) / peak))
        }
        let lost = { (step: Engine.StepTime) in step.ms - Double(step.flops) / (peak * 1e9) * 1000 }
        print("  layers losing most time against peak (ms over the time at peak):")
        for step in steps.sorted(by: { lost($0) > lost($1) }).prefix(8) {
            print(
                "    " + step.name.padding(toLength: 34, withPad: " ", startingAt: 0) + " " + step.kind.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: "%7.3f ms %7.1f GFLOP/s  +%.3f ms", step.ms, rate(step.flops, step.ms), lost(step)))
        }
    }

    private func printJSON(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    private func fail(_ text: String) -> Never {
        warn(text)
        Run.exit(withError: ExitCode.failure)
    }
}
