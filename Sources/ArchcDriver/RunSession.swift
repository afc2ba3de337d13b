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

    private static func prepare(_ path: String, _ options: PreparedModel.Options) -> Result<PreparedModel, Failure> {
        switch PreparedModel.prepare(spec: path, options) {
        case .failure(.spec(let diagnostics)): return .failure(.spec(diagnostics))
        case .failure(let failure): return .failure(.message(failure.description))
        case .success(let prepared): return .success(prepared)
        }
    }
}
