import ArchcDriver
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
            median and p90 latency, images/s and peak memory. The models generated/ holds run \
            the same way with `archc-generated SPEC`. On a CPU with AVX-512 the kernels run \
            their 512-bit versions; the environment variable ARCHC_ISA=avx2 keeps the AVX2 \
            ones (the report names the set: "avx512 kernels").
            """
    )

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var options: SpecOptions

    @Option(
        help: ArgumentHelp(
            "Weights whose tensor names match the spec's: safetensors (float32, float16 or bfloat16), a torch.save checkpoint (zip, or the legacy format of .pth/.pt/.bin files) holding a state dict.",
            valueName: "file"))
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

    @Option(parsing: .unconditional, help: "How many classes to show per image (with ImageNet names for 1000-class models).")
    var top: Int = 5

    @Option(help: ArgumentHelp("Write the output as a float32 .npy (written whole or not at all).", valueName: "file.npy"))
    var output: String?

    @Option(parsing: .unconditional, help: "Worker threads (default: every CPU this process may use).")
    var threads: Int = WorkerPool.allowedCPUs

    @Option(
        help:
            "How one-group 3x3 convs at stride 1 and 2 run: auto (Winograd F(4x4,3x3) or F(2x2,3x3) where it measured faster), winograd (F(4x4,3x3) at stride 1, F(2x2,3x3) at stride 2, wherever it applies), winograd-2x2 (F(2x2,3x3) wherever it applies) or direct (the implicit-im2col GEMM)."
    )
    var conv3x3: Conv3x3Algorithm = .auto

    @Option(
        help:
            "How a batch runs: auto (the leading layers on maps of 28x28 or more image by image, so one image's maps stay in cache, then the rest over the whole batch) or layer (every layer over the whole batch)."
    )
    var batchOrder: BatchOrder = .auto

    @Option(parsing: .unconditional, help: "Seed for the weights and input when none are given.")
    var seed: UInt64 = 0

    @Option(
        name: .customLong("init"),
        help:
            "How seeded weights are drawn: pytorch (an untrained PyTorch model's initialisation) or stress (statistics far from the defaults, for testing passes and exports)."
    )
    var initStyle: WeightInit.Style = .pytorch

    @Flag(help: "Time the model instead of printing its output.")
    var bench = false

    @Option(parsing: .unconditional, help: "Timed runs for --bench (after 3 warm-up runs). (default: 10)")
    var iterations: Int?

    @Flag(
        help:
            "Run the input through the reference interpreter (unfused and optimized graphs) and the runtime; report the first layer where they disagree beyond 1e-4 relative."
    )
    var check = false

    @Flag(help: "With --bench, also time every step and report milliseconds, GFLOP/s and the share of the measured FMA peak per layer kind.")
    var profile = false

    @Option(help: "Output format: text or json.")
    var report: Report = .text

    @Option(
        help:
            "Arithmetic of the 1x1 convs, other dense convs and linears: fp32, or int8 (8-bit activations, 7-bit weights, int32 sums; needs --calibration; accuracy cost in docs/precision.md)."
    )
    var precision: PrecisionOption = .fp32

    @Option(help: ArgumentHelp("Activation ranges written by `archc calibrate`, for --precision int8.", valueName: "calib.json"))
    var calibration: String?

    func validate() throws {
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, found \(threads)") }
        if let iterations {
            guard iterations >= 1, iterations <= 100_000 else { throw ValidationError("--iterations must be between 1 and 100000, found \(iterations)") }
        }
        if let conflict = RunSession.modeConflict(
            bench: bench, check: check, json: report == .json, iterations: iterations != nil, profile: profile, output: output != nil)
        {
            throw ValidationError(conflict)
        }
        guard top >= 1 else { throw ValidationError("--top must be at least 1, found \(top)") }
        try precision.validate(calibration: calibration, check: check)
        if let output {
            let inputs = [options.spec] + [weights, calibration].compactMap { $0 } + input
            do { try AtomicFile.checkNotAnInput(output, option: "--output", inputs: inputs, folderExtensions: InputBatch.imageExtensions) } catch {
                throw ValidationError((error as? IOError)?.message ?? "\(error)")
            }
        }
    }

    /// The one place `run` reports an error and exits.
    func run() throws {
        do {
            try execute()
        } catch let failure as RunSession.Failure {
            if case .spec(let diagnostics) = failure {
                options.printDiagnostics(diagnostics)
            } else {
                warn(failure.description)
            }
            throw ExitCode.failure
        } catch let error as EngineError {
            FileHandle.standardError.write(Data("\(options.spec): error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func execute() throws {
        let processBytes = ProcessMemory.residentBytes()
        var prepareOptions = PreparedModel.Options()
        prepareOptions.overrides = options.overrides
        prepareOptions.elaboration = options.elaborationOptions
        prepareOptions.weights = weights
        prepareOptions.stripPrefix = stripPrefix
        prepareOptions.strict = strict
        prepareOptions.seed = seed
        prepareOptions.initStyle = initStyle
        prepareOptions.keepPlain = check
        var session = try RunSession.start(spec: options.spec, inputs: input, prepareOptions).get()
        if check { try session.checkOneBatch(spec: options.spec) }
        options.printDiagnostics(session.model.compilation.diagnostics)
        if !session.model.unusedTensors.isEmpty, let weights {
            warn(
                "\(weights): warning: \(session.model.unusedTensors.count) tensor(s) the spec does not use: "
                    + session.model.unusedTensors.prefix(5).joined(separator: ", "))
        }
        let mode = try precision.resolve(calibration: calibration, model: session.model) {
            try CalibrationFile.Run.of(overrides: options.overrides, weightsFile: weights, seed: seed, initStyle: initStyle.rawValue)
        }
        // The engine owns the weights and frees each once packed; --check still needs them.
        let graph = check ? session.model.optimized : session.model.takeOptimized()
        let engine = try Engine(
            graph: consume graph, batch: session.batch, threads: threads, precision: mode, conv3x3: conv3x3, batchOrder: batchOrder,
            memoryLimit: options.elaborationOptions.maxBytes)
        let model = session.model, x = session.input
        if check {
            let result = try ConsistencyCheck.run(model, engine: engine, input: x)
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
            let runs = iterations ?? 10
            let result = try Benchmark.run(engine, input: x, iterations: runs, progress: progress)
            let steps = profile ? try engine.profile(x, iterations: runs) : nil
            let peak = profile ? FMAPeak.measure(pool: engine.pool) : 0
            let memory = ResidentMemory(engine: engine, processBytes: processBytes)
            printBenchmark(result, model, engine, memory: memory, profile: steps.map { ($0, peak) })
            return
        }
        let y = try session.predictAll { try engine.run($0) }
        print(
            OutputSummary.report(
                y, name: model.network.name, files: session.files, k: top, json: report == .json, labelled: weights != nil || !session.files.isEmpty,
                extra: ["peak_bytes": engine.peakBytes]))
        // Before --output: a failed run does not replace the file a good one wrote.
        if let problem = OutputSummary.nonFiniteProblem(y, files: session.files) {
            warn("\(options.spec): error: \(problem)\(output.map { "; \($0) not written" } ?? "")")
            throw ExitCode.failure
        }
        if let output {
            do { try NPY.write(y, to: output) } catch { throw RunSession.Failure.message("\(error)") }
        }
    }

    private func printBenchmark(
        _ b: Benchmark, _ model: PreparedModel, _ engine: Engine, memory: ResidentMemory, profile: (steps: [Engine.StepTime], peak: Double)?
    ) {
        if report == .json {
            var object: [String: Any] = [
                "name": model.network.name, "batch": b.batch, "threads": b.threads, "iterations": b.latenciesMs.count,
                "precision": engine.precision.name, "kernels": CPUFeatures.kernels, "min_ms": b.minMs, "median_ms": b.medianMs, "p90_ms": b.p90Ms,
                "images_per_s": b.imagesPerSecond,
                "peak_bytes": b.peakBytes,
                "activation_bytes": engine.activationBytes, "image_major_layers": engine.imageMajorNodes, "weight_bytes": engine.weightBytes,
                "scratch_bytes": engine.scratchBytes,
                "process_bytes": memory.processBytes, "floor_bytes": memory.floorBytes, "peak_rss_bytes": memory.peakBytes,
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
            print(OutputSummary.jsonText(object))
            return
        }
        let precision = engine.precision == .fp32 ? "" : ", \(engine.precision.name)"
        print(
            "\(model.network.name): batch \(b.batch), \(b.threads) thread\(b.threads == 1 ? "" : "s"), \(b.latenciesMs.count) runs\(precision), \(CPUFeatures.kernels) kernels"
        )
        print(
            String(
                format: "  median %.2f ms  p90 %.2f ms  %.1f images/s  %.1f GFLOP/s", b.medianMs, b.p90Ms, b.imagesPerSecond,
                Double(model.network.flops) * Double(b.batch) / (b.medianMs / 1000) / 1e9))
        print(
            "  memory: weights \(Format.bytes(engine.weightBytes)), activations \(Format.bytes(engine.activationBytes)) (unplanned \(Format.bytes(engine.plan.unplannedBytes))), scratch \(Format.bytes(engine.scratchBytes))"
        )
        print("  " + memory.summary)
        if engine.imageMajorNodes > 0 {
            print(
                "  batch order: the first \(engine.imageMajorNodes) of \(engine.graph.nodes.count) layers image by image (per-image activations \(Format.bytes(engine.imageActivationBytes))), the rest over the batch"
            )
        }
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
        print("  kind               ms   share   GFLOP/s  of peak")
        for row in rows {
            print(
                "  " + row.kind.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(
                        format: " %6.2f  %5.1f%%  %8.1f  %6.1f%%", row.ms, 100 * row.ms / total, rate(row.flops, row.ms), 100 * rate(row.flops, row.ms) / peak))
        }
        let lost = { (step: Engine.StepTime) in step.ms - Double(step.flops) / (peak * 1e9) * 1000 }
        print("  layers losing most time against peak (ms over the time at peak):")
        for step in steps.sorted(by: { lost($0) > lost($1) }).prefix(8) {
            print(
                "    " + step.name.padding(toLength: 34, withPad: " ", startingAt: 0) + " " + step.kind.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%7.3f ms %7.1f GFLOP/s  +%.3f ms", step.ms, rate(step.flops, step.ms), lost(step)))
        }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
