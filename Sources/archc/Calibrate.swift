import ArchcDriver
import ArchcIO
import ArchcIR
import ArchcRuntime
import ArgumentParser
import Foundation

/// `archc calibrate SPEC --images DIR -o calib.json`: activation ranges for `--precision int8`.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the activation ranges int8 layers need, from a float32 run over a folder of photos.",
        discussion: """
            Runs the spec in float32 over every photo of --images (batched as archc run does) \
            and writes, for every value a 1x1 conv, other dense conv or linear reads, the \
            smallest and largest value seen (min-max over all images) to -o as JSON, written \
            whole or not at all. `archc run --precision int8 --calibration FILE` reads it.
            """
    )

    @OptionGroup var options: SpecOptions

    @Option(help: ArgumentHelp("Weights, as for archc run (without: seeded weights).", valueName: "file"))
    var weights: String?

    @Option(help: ArgumentHelp("Calibration photos (PNG, JPEG) or folders of them (repeatable).", valueName: "dir"))
    var images: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("The calibration file to write.", valueName: "calib.json"))
    var output: String

    @Option(
        name: .customLong("save-inputs"),
        help: ArgumentHelp(
            "Also write the prepared calibration images as one float32 .npy (N, C, H, W), e.g. to calibrate another runtime on the same tensors.",
            valueName: "file.npy"))
    var saveInputs: String?

    @Option(parsing: .unconditional, help: "Worker threads (default: every CPU this process may use).")
    var threads: Int = WorkerPool.allowedCPUs

    @Option(parsing: .unconditional, help: "Seed for the weights when none are given.")
    var seed: UInt64 = 0

    @Option(name: .customLong("init"), help: "How seeded weights are drawn: pytorch or stress.")
    var initStyle: WeightInit.Style = .pytorch

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("calibrate needs --images: a folder of photos (or photo files)") }
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, found \(threads)") }
        if let saveInputs, AtomicFile.sameFile(saveInputs, output) {
            throw ValidationError("-o and --save-inputs name the same file (\(saveInputs)); one would replace the other")
        }
        let inputs = [options.spec] + (weights.map { [$0] } ?? []) + images
        for (path, option) in [(output, "-o")] + (saveInputs.map { [($0, "--save-inputs")] } ?? []) {
            do { try AtomicFile.checkNotAnInput(path, option: option, inputs: inputs, folderExtensions: InputBatch.imageExtensions) } catch {
                throw ValidationError((error as? IOError)?.message ?? "\(error)")
            }
        }
    }

    func run() throws {
        do {
            // A target that cannot be written fails now, not after the run has written the other.
            for path in [output] + (saveInputs.map { [$0] } ?? []) {
                do { try AtomicFile.checkWritable(path) } catch { throw RunSession.Failure.message("\(error)") }
            }
            var prepare = PreparedModel.Options()
            prepare.overrides = options.overrides
            prepare.elaboration = options.elaborationOptions
            (prepare.weights, prepare.seed, prepare.initStyle) = (weights, seed, initStyle)
            let session = try RunSession.start(spec: options.spec, inputs: images, prepare).get()
            options.printDiagnostics(session.model.compilation.diagnostics)
            guard let inputs = session.inputs else { throw RunSession.Failure.message("\(images[0]): error: no calibration images") }
            var kept: [Tensor] = []
            let ranges = try Calibration.collect(session.model, inputs: inputs, first: session.input, threads: threads) { batch in
                if saveInputs != nil { kept.append(batch) }
            }
            if let saveInputs, let first = kept.first {
                let all = Tensor(dims: [kept.reduce(0) { $0 + $1.dims[0] }] + first.dims.dropFirst(), data: kept.flatMap(\.data))
                do { try NPY.write(all, to: saveInputs) } catch { throw RunSession.Failure.message("\(error)") }
            }
            do {
                let run = try CalibrationFile.Run.of(overrides: options.overrides, weightsFile: weights, seed: seed, initStyle: initStyle.rawValue)
                try CalibrationFile.write(ranges, model: session.model.network.name, run: run, graph: session.model.optimized, to: output)
            } catch {
                throw RunSession.Failure.message("\(error)")
            }
            print("\(output): \(ranges.ranges.count) activation ranges (\(CalibrationFile.method)) from \(ranges.images) image(s)")
        } catch let failure as RunSession.Failure {
            if case .spec(let diagnostics) = failure {
                options.printDiagnostics(diagnostics)
            } else {
                FileHandle.standardError.write(Data((failure.description + "\n").utf8))
            }
            throw ExitCode.failure
        } catch let error as EngineError {
            FileHandle.standardError.write(Data("\(options.spec): error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
