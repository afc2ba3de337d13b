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

    /// `inputs`: the `--input` arguments (empty: a batch of `options.elaboration.batch`
    /// seeded images); the input, not the option, sets the batch when there is one.
    public static func start(spec path: String, inputs: [String], _ options: PreparedModel.Options) -> Result<RunSession, Failure> {
        var options = options
        let source: InputBatch.Source?
        do { source = inputs.isEmpty ? nil : try InputBatch.resolve(inputs) } catch { return .failure(.message("\(error)")) }
        if let source { options.elaboration.batch = source.count }
        let model: PreparedModel
        switch PreparedModel.prepare(spec: path, options) {
        case .failure(.spec(let diagnostics)): return .failure(.spec(diagnostics))
        case .failure(let failure): return .failure(.message(failure.description))
        case .success(let prepared): model = prepared
        }
        var input = WeightInit.input(for: model.optimized, batch: options.elaboration.batch, seed: options.seed &+ 1)
        var files: [String] = []
        if let source, let spec = model.compilation.spec {
            do {
                let loaded = try InputBatch.load(source, spec: spec, inputType: TensorType(model.network.input.dims))
                (input, files) = (loaded.tensor, loaded.files)
            } catch {
                return .failure(.message("\(error)"))
            }
        }
        let expected = [input.dims.first ?? 0] + model.optimized.inputType.dims
        guard input.dims == expected, expected[0] >= 1 else {
            return .failure(
                .message("\(inputs.first ?? "input"): error: expected an input of shape \(expected) (N, C, H, W) for this spec, found \(input.dims)"))
        }
        return .success(RunSession(model: model, input: input, files: files))
    }
}
