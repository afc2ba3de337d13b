import ArchcDriver
import ArchcIO
import ArchcImage
import ArchcRuntime
import ArchcSpec
import ArgumentParser
import Foundation

/// `archc eval SPEC --weights W --data DIR ...`: top-1/top-5 of each model on each set.
struct EvalRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Evaluate SPEC --weights W pairs on image sets (the default subcommand: `archc eval SPEC ...`).",
        discussion: """
            Sets: --data (ImageFolder ROOT/<class>/<image>, classes by WordNet ID or index, or a \
            path,label CSV), --stylized, --imagenet-r, --sketch (ImageFolder), --imagenet-c \
            (ROOT/<corruption>/<severity>/<class>/<image>). The i-th --weights belongs to the i-th \
            spec. --shard K/N (K from 0) evaluates a deterministic share of the sorted image list \
            and writes a partial result; `archc eval merge` adds the parts up.
            """
    )

    @Argument(help: "Model specs (YAML); several give a table side by side.")
    var specs: [String]

    @Option(help: ArgumentHelp("Checkpoint of the spec at the same position (PyTorch .pth or safetensors); none: seeded weights.", valueName: "file"))
    var weights: [String] = []

    @Option(name: .customLong("strip-prefix"), help: ArgumentHelp("Drop this prefix from checkpoint tensor names.", valueName: "prefix"))
    var stripPrefix: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value, as in archc compile (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Clean ImageNet (or any 1000-class set): an ImageFolder tree or a path,label CSV.", valueName: "dir|file.csv"))
    var data: String?

    @Option(help: ArgumentHelp("Stylized-ImageNet, an ImageFolder tree.", valueName: "dir"))
    var stylized: String?

    @Option(name: .customLong("imagenet-r"), help: ArgumentHelp("ImageNet-R, an ImageFolder tree (scored over its 200 classes).", valueName: "dir"))
    var imagenetR: String?

    @Option(help: ArgumentHelp("ImageNet-Sketch, an ImageFolder tree.", valueName: "dir"))
    var sketch: String?

    @Option(
        name: .customLong("imagenet-c"), help: ArgumentHelp("ImageNet-C as distributed: ROOT/<corruption>/<severity 1-5>/<class>/<image>.", valueName: "root"))
    var imagenetC: String?

    @Option(help: "Classes --data is scored over: auto (ImageNet-R's 200 when its class folders are exactly those), all, imagenet-r.")
    var classes: String = "auto"

    @Option(
        help: ArgumentHelp(
            "Corrupt --data on the fly as ImageNet-C was made (shorter side 256, centre crop 224, corruption): names, comma-separated, or all.",
            valueName: "name,..."))
    var corrupt: String?

    @Option(
        name: .customLong("frost-dir"),
        help: ArgumentHelp(
            "Folder of frost's texture photos (frost1.png ... frost5.jpg) for --corrupt; default $\(FrostTextures.environmentVariable), else \(FrostTextures.defaultDirectory).",
            valueName: "dir"))
    var frostDir: String?

    @Option(help: ArgumentHelp("Severities for --corrupt: 1 to 5, comma-separated, or all.", valueName: "s,..."))
    var severity: String = "all"

    @Option(
        name: .customLong("resave-jpeg"),
        help: ArgumentHelp(
            "Save each --corrupt image as a JPEG of this quality and read it back, as ImageNet-C's files were saved (default 85), or off.",
            valueName: "quality|off"))
    var resaveJPEG: String?

    @Option(
        name: .customLong("clean-top1"),
        help: ArgumentHelp("Clean top-1 accuracy in [0, 1] for relative mCE, when --data is not evaluated too.", valueName: "fraction"))
    var cleanTop1: Double?

    @Option(help: ArgumentHelp("Evaluate only share K of N of the sorted image list (K from 0) and report a partial result.", valueName: "K/N"))
    var shard: String?

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch: Int = 8

    @Option(parsing: .unconditional, help: "Runtime threads (default: every CPU this process may use).")
    var threads: Int = WorkerPool.allowedCPUs

    @Option(parsing: .unconditional, help: "Image decoding threads.")
    var workers: Int = 2

    @Flag(help: "Print where the time went on standard error: images/s, decoding, resizing, the model, waiting.")
    var profile = false

    @Flag(name: .customLong("skip-bad"), help: "Skip unreadable images with a warning (counted in the report) instead of stopping.")
    var skipBad = false

    @Option(help: "Output format: text, json or csv.")
    var report: EvalReportFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (whole or not at all) instead of standard output.", valueName: "file"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Draw top-1 against severity per corruption, one line per model, as SVG or PNG by the file's extension (written whole or not at all).",
            valueName: "file.svg|file.png"))
    var plot: String?

    func validate() throws {
        guard weights.isEmpty || weights.count == specs.count else {
            throw ValidationError("give one --weights per spec (\(specs.count) specs, \(weights.count) --weights)")
        }
        guard data != nil || stylized != nil || imagenetR != nil || sketch != nil || imagenetC != nil else {
            throw ValidationError("nothing to evaluate: give --data, --stylized, --imagenet-r, --sketch or --imagenet-c")
        }
        guard batch >= 1, batch <= 4096 else { throw ValidationError("--batch must be between 1 and 4096, found \(batch)") }
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, found \(threads)") }
        guard workers >= 1, workers <= 64 else { throw ValidationError("--workers must be between 1 and 64, found \(workers)") }
        guard classes == "auto" || ClassSubset(rawValue: classes) != nil else {
            throw ValidationError("--classes must be auto, all or imagenet-r, found '\(classes)'")
        }
        if let shard, Shard(parsing: shard) == nil { throw ValidationError("--shard expects K/N with 0 <= K < N, found '\(shard)'") }
        if let plot, PlotFormat(path: plot) == nil {
            throw ValidationError("--plot writes SVG or PNG; give a file ending in .svg or .png, found '\(plot)'")
        }
        if plot != nil, corrupt == nil, imagenetC == nil { throw ValidationError("--plot draws corrupted results; give --corrupt or --imagenet-c") }
        if shard != nil, specs.count > 1 { throw ValidationError("--shard evaluates one spec at a time") }
        if corrupt != nil, data == nil { throw ValidationError("--corrupt corrupts the --data set; give --data") }
        if corrupt != nil, imagenetC != nil { throw ValidationError("give --corrupt or --imagenet-c, not both (their results would share corruption names)") }
        if let corrupt, corruptions(corrupt) == nil {
            throw ValidationError(
                "--corrupt expects names from \(Corruption.allCases.map(\.rawValue).joined(separator: ", ")) or all, found '\(corrupt)'")
        }
        if let resaveJPEG {
            guard corrupt != nil else { throw ValidationError("--resave-jpeg applies to --corrupt images; give --corrupt") }
            guard resaveQuality != nil else { throw ValidationError("--resave-jpeg expects a JPEG quality from 1 to 100 or off, found '\(resaveJPEG)'") }
        }
        if severities(severity) == nil { throw ValidationError("--severity expects 1 to 5, comma-separated, or all, found '\(severity)'") }
        // A name or level given twice was evaluated and counted twice.
        if let corrupt, let twice = Self.repeated(corruptions(corrupt) ?? []) {
            throw ValidationError("--corrupt names \(twice) twice; give each corruption once")
        }
        if let twice = Self.repeated(severities(severity) ?? []) { throw ValidationError("--severity names \(twice) twice; give each level once") }
        if let cleanTop1, !(0...1).contains(cleanTop1) { throw ValidationError("--clean-top1 must be a fraction in [0, 1], found \(cleanTop1)") }
        let inputs = specs + weights + [data, stylized, imagenetR, sketch, imagenetC, frostDir].compactMap { $0 }
        for (path, option) in [(output, "-o"), (plot, "--plot")] {
            guard let path else { continue }
            do { try AtomicFile.checkNotAnInput(path, option: option, inputs: inputs, folderExtensions: InputBatch.imageExtensions) } catch {
                throw ValidationError((error as? IOError)?.message ?? "\(error)")
            }
        }
    }

    func run() throws {
        let missing = CPUFeatures.missing()
        guard missing.isEmpty else { evalFail("this CPU lacks \(missing.joined(separator: " and ").uppercased()), which archc's kernels are compiled for") }
        var job = EvalJob()
        job.sets = [("imagenet", data), ("stylized", stylized), ("imagenet-r", imagenetR), ("sketch", sketch)].compactMap { name, path in
            path.map { (name, $0) }
        }
        job.imagenetC = imagenetC
        if let corrupt, let names = corruptions(corrupt), let levels = severities(severity) {
            job.corruptions = (names, levels)
            if names.contains(Corruption.frost.rawValue) {
                do { job.frost = try FrostTextures.load(directory: FrostTextures.directory(frostDir)) } catch let error as IOError {
                    evalFail(error.description)
                }
            }
        }
        job.resaveQuality = resaveQuality ?? nil
        job.dataClasses = ClassSubset(rawValue: classes)
        job.shard = shard.flatMap(Shard.init(parsing:))
        job.givenCleanTop1 = cleanTop1
        var results: [EvalResult] = []
        for (i, spec) in specs.enumerated() {
            var result = try evaluate(spec, weights: weights.isEmpty ? nil : weights[i], job: job)
            let run = try CalibrationFile.Run.of(overrides: overrides, weightsFile: weights.isEmpty ? nil : weights[i], seed: 0, initStyle: "pytorch")
            result.run = (run.overrides.isEmpty ? "no --set" : run.overrides.map { "--set \($0)" }.joined(separator: " ")) + "; weights " + run.weights
            results.append(result)
        }
        do {
            if let plot { try writePlot(results, to: plot) }
            try emitEvalReport(results, format: report, output: output)
        } catch {
            evalFail("\(error)")
        }
    }

    private func evaluate(_ spec: String, weights: String?, job: EvalJob) throws -> EvalResult {
        var options = PreparedModel.Options()
        options.overrides = overrides
        options.elaboration.batch = batch
        options.weights = weights
        options.stripPrefix = stripPrefix
        let model: PreparedModel
        switch PreparedModel.prepare(spec: spec, options) {
        case .failure(let failure): evalFail(failure.description)
        case .success(let prepared): model = prepared
        }
        let dims = model.optimized.inputType.dims
        guard dims.count == 3, dims[0] == 3, dims[1] == dims[2], let classes = model.network.output.dims.last else {
            evalFail("\(spec): error: archc eval needs a 3-channel square image input and a class vector output")
        }
        var evalOptions = Evaluator.Options()
        evalOptions.batch = batch
        evalOptions.threads = threads
        evalOptions.workers = workers
        evalOptions.skipBad = skipBad
        let preprocessing: Preprocessing
        do {
            preprocessing = try InputBatch.preprocessing(for: model.compilation.spec!, size: dims[1])
        } catch {
            evalFail("\(error)")
        }
        let evaluator = Evaluator(model: model, preprocessing: preprocessing, options: evalOptions)
        do {
            let plan = try job.plan(classes: classes)
            let report = profile ? { (p: EvalProfile) in self.warn("\(model.network.name) \(p.text)") } : nil
            // With several models (the same spec twice with two checkpoints, say), each warning
            // says whose it is.
            let whose = specs.count > 1 ? " [\(spec)\(weights.map { " with \($0)" } ?? "")]" : ""
            return try job.run(evaluator, plan: plan, progress: progressBar(model.network.name), profile: report) { self.warn($0 + whose) }
        } catch let error as IOError {
            evalFail(error.description)
        }
    }

    private func corruptions(_ text: String) -> [String]? {
        if text == "all" { return Corruption.allCases.map(\.rawValue) }
        let names = text.split(separator: ",").map(String.init)
        return !names.isEmpty && names.allSatisfy { Corruption(rawValue: $0) != nil } ? names : nil
    }

    /// --plot's file, SVG or PNG by its extension, whole or not at all; nothing when no
    /// result has corrupted images.
    private func writePlot(_ results: [EvalResult], to path: String) throws {
        let data: Data?
        switch PlotFormat(path: path) {
        case .svg: data = SeverityPlot.svg(results).map { Data($0.utf8) }
        case .png:
            guard let image = SeverityPlot.raster(results) else { return }
            guard let png = image.pngData() else { throw IOError(path, "cannot encode the plot as PNG") }
            data = png
        case nil: data = nil
        }
        if let data { try AtomicFile.write(data, to: path) }
    }

    /// --resave-jpeg: .some(nil) for off, .some(q) for a quality, nil when malformed.
    private var resaveQuality: Int?? {
        guard let resaveJPEG else { return .some(EvalJob.imagenetCQuality) }
        if resaveJPEG == "off" { return .some(nil) }
        guard let quality = Int(resaveJPEG), (1...100).contains(quality) else { return nil }
        return .some(quality)
    }

    /// The first item of `items` that appears again, if any.
    private static func repeated<T: Hashable>(_ items: [T]) -> T? {
        var seen = Set<T>()
        return items.first { !seen.insert($0).inserted }
    }

    private func severities(_ text: String) -> [Int]? {
        if text == "all" { return Array(1...5) }
        let levels = text.split(separator: ",").map { Int($0) }
        return !levels.isEmpty && levels.allSatisfy { $0.map((1...5).contains) == true } ? levels.compactMap { $0 } : nil
    }

    /// A progress bar on standard error when it is a terminal; nothing otherwise.
    private func progressBar(_ name: String) -> Evaluator.Progress? {
        guard isatty(2) == 1 else { return nil }
        return { done, total, seconds in
            FileHandle.standardError.write(Data("\r\u{1B}[K\(name) ".utf8) + Data(ProgressLine.text(done: done, total: total, seconds: seconds).utf8))
            if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
