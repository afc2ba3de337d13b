import ArchcIO
import ArchcIR
import ArchcSpec

/// What `archc run` and `archc-generated` share before anything executes: the spec
/// compiled once at the batch the input sets, the model weighted and optimized, and the
/// input read (photos prepared as the spec's `preprocess:` says) or seeded.
public struct RunSession {
    public var model: PreparedModel
    /// (N, C, H, W), checked against the optimized graph's input.
    public var input: Tensor
    /// The file behind each image of the batch (empty for .npy or seeded input).
    public var files: [String]
    public var batch: Int { input.dims[0] }

    /// Why a run cannot start: the spec's diagnostics, or a message naming a file.
    public enum Failure: Error, CustomStringConvertible {
        case spec(DiagnosticEngine)
        case message(String)

        public var description: String {
            switch self {
            case .spec(let diagnostics): return diagnostics.rendered()
            case .message(let text): return text
            }
        }
    }

    /// The `--input` batches (nil for a seeded input); `input` is its first batch.
    public var inputs: InputBatch?

    /// `inputs`: the `--input` arguments (empty: a batch of `options.elaboration.batch`
    /// seeded images). The spec is compiled once, at `--batch`; only when the input's batch
    /// differs (photos need the compiled spec to be listed) is it compiled again at that
    /// batch, for the memory guard.
    public static func start(spec path: String, inputs arguments: [String], _ options: PreparedModel.Options) -> Result<RunSession, Failure> {
        var options = options
        var model: PreparedModel
        switch prepare(path, options) {
        case .failure(let failure): return .failure(failure)
        case .success(let prepared): model = prepared
        }
        var input = WeightInit.input(for: model.optimized, batch: options.elaboration.batch, seed: options.seed &+ 1)
        var inputs: InputBatch?
        var files: [String] = []
        if !arguments.isEmpty, let spec = model.compilation.spec {
            do {
                let opened = try InputBatch.open(arguments, spec: spec, inputType: TensorType(model.network.input.dims))
                if opened.batchSize != options.elaboration.batch {
                    options.elaboration.batch = opened.batchSize
                    switch prepare(path, options) {
                    case .failure(let failure): return .failure(failure)
                    case .success(let prepared): model = prepared
                    }
                }
                input = try opened.batch(0).tensor
                (inputs, files) = (opened, opened.files)
            } catch {
                return .failure(.message("\(error)"))
            }
        }
        let expected = [input.dims.first ?? 0] + model.optimized.inputType.dims
        guard input.dims == expected, expected[0] >= 1 else {
            return .failure(
                .message("\(arguments.first ?? "input"): error: expected an input of shape \(expected) (N, C, H, W) for this spec, found \(input.dims)"))
        }
        return .success(RunSession(model: model, input: input, files: files, inputs: inputs))
    }

    /// Why a command line's modes conflict, for `run` and `archc-generated`: each of these ran
    /// one mode and dropped the other option without a word. nil when they do not.
    public static func modeConflict(bench: Bool, check: Bool, json: Bool, iterations: Bool, profile: Bool = false, output: Bool = false) -> String? {
        if !bench, let option = [iterations ? "--iterations" : nil, profile ? "--profile" : nil].compactMap({ $0 }).first {
            return "\(option) times the model and needs --bench"
        }
        if check && bench { return "--check and --bench are separate runs; give one" }
        if check && json { return "--check prints a text report only; drop --report json" }
        if output, let mode = [bench ? "--bench" : nil, check ? "--check" : nil].compactMap({ $0 }).first {
            return "--output writes the model's output, which \(mode) does not produce; run without \(mode)"
        }
        return nil
    }

    /// `--check` compares one batch: with more photos than one holds, the rest were neither
    /// decoded nor compared ("all layers agree" over a broken 40th photo).
    public func checkOneBatch(spec: String) throws {
        guard let inputs, inputs.batchCount > 1 else { return }
        throw Failure.message(
            "\(spec): error: --check compares one batch of at most \(inputs.batchSize) images; \(inputs.files.count) were given (check them a batch at a time)")
    }

    /// Every batch of the input through `predict`, the outputs of real images concatenated
    /// (padding dropped): photos are decoded one batch at a time. `archc-generated` ran the
    /// first batch only: of 40 photos it read 32 and exit 0.
    public func predictAll(_ predict: (Tensor) throws -> Tensor) throws -> Tensor {
        guard let inputs, inputs.batchCount > 1 else { return try predict(input) }
        var dims: [Int] = []
        var data: [Float] = []
        for index in 0..<inputs.batchCount {
            // Batch 0 was decoded already (it sized the model); it is always full.
            var (x, count) = (input, inputs.batchSize)
            if index > 0 {
                do {
                    let batch = try inputs.batch(index)
                    (x, count) = (batch.tensor, batch.count)
                } catch {
                    throw Failure.message("\(error)")
                }
            }
            let y = try predict(x)
            let row = y.count / inputs.batchSize
            dims = Array(y.dims.dropFirst())
            data += y.data[0..<(count * row)]
        }
        return Tensor(dims: [inputs.files.count] + dims, data: data)
    }

    private static func prepare(_ path: String, _ options: PreparedModel.Options) -> Result<PreparedModel, Failure> {
        switch PreparedModel.prepare(spec: path, options) {
        case .failure(.spec(let diagnostics)): return .failure(.spec(diagnostics))
        case .failure(let failure): return .failure(.message(failure.description))
        case .success(let prepared): return .success(prepared)
        }
    }
}
