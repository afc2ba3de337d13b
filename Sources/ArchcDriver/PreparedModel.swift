import ArchcIO
import ArchcIR
import ArchcLowering
import ArchcPasses
import ArchcRuntime
import ArchcSpec
import Foundation

/// A spec made runnable: compiled, lowered, weighted (checkpoint or seeded) and optimized.
public struct PreparedModel {
    public var compilation: Compilation
    public var network: Network
    /// The lowered graph with its weights, before any pass; nil unless `Options.keepPlain`
    /// (it is a second copy of every weight the passes fold).
    public var plain: Graph?
    public var optimized: Graph
    /// Checkpoint tensors the spec does not use (warned about).
    public var unusedTensors: [String]

    public enum Failure: Error, CustomStringConvertible {
        case spec(DiagnosticEngine)
        case weights(IOError)
        case pipeline(String)
        case lowering(LoweringError)

        public var description: String {
            switch self {
            case .spec(let diagnostics): return diagnostics.rendered()
            case .weights(let error): return error.description
            case .pipeline(let message): return "archc: internal error: \(message)"
            case .lowering(let error): return error.description
            }
        }
    }

    public struct Options {
        public var overrides: [String] = []
        public var elaboration = ElaborationOptions()
        public var weights: String?
        public var stripPrefix: String?
        public var strict = false
        public var seed: UInt64 = 0
        /// How seeded weights are drawn when there is no checkpoint.
        public var initStyle = WeightInit.Style.pytorch
        public var disabledPasses: Set<String> = []
        /// Keep the unoptimized graph (`plain`) for `--check` and ONNX export of it.
        public var keepPlain = true
        /// Whole copies of the weights the command makes after preparing them (an ONNX or
        /// safetensors file is built in memory), for the memory check before any weight is made.
        public var weightCopies = 0

        public init() {}
    }

    public static func prepare(spec path: String, _ options: Options) -> Result<PreparedModel, Failure> {
        // Each weight is freed once replaced, folded or packed: it must go back to the kernel.
        ProcessMemory.mapLargeAllocations()
        let compilation = Compiler.compile(path: path, overrides: options.overrides, options: options.elaboration)
        guard let network = compilation.network, compilation.succeeded else { return .failure(.spec(compilation.diagnostics)) }
        // The checkpoint is indexed before the graph's constants exist: a torch.save file is
        // read whole to unpickle it, and released before any weight is made.
        var checkpoint: [String: CheckpointTensor]?
        if let file = options.weights {
            guard FileManager.default.fileExists(atPath: file) else { return .failure(.weights(IOError(file, "no such file"))) }
            // The format by the file's structure, whatever its name; values read only for the spec's tensors.
            do { checkpoint = try CheckpointFormat.read(file) } catch { return .failure(.weights(error as? IOError ?? IOError(file, "\(error)"))) }
        }
        if let error = memoryShortage(network, copies: options.weightCopies + (options.keepPlain ? 1 : 0), spec: path) {
            return .failure(.weights(error))
        }
        var graph: Graph
        do { graph = try Lowering.lower(network) } catch let error as LoweringError { return .failure(.lowering(error)) } catch {
            return .failure(.pipeline("\(error)"))
        }
        var unused: [String] = []
        if let file = options.weights, let tensors = checkpoint {
            do {
                unused = try WeightLoader.load(tensors, into: &graph, file: file, stripPrefix: options.stripPrefix, strict: options.strict).unused
            } catch let error as IOError {
                return .failure(.weights(error))
            } catch {
                return .failure(.weights(IOError(file, "\(error)")))
            }
        } else {
            WeightInit.seeded(&graph, seed: options.seed, style: options.initStyle)
        }
        let plain = options.keepPlain ? graph : nil
        // Handed over whole: without a kept copy each weight is folded in place.
        switch Pipeline.run(consume graph, disabled: options.disabledPasses, verify: _isDebugAssertConfiguration()) {
        case .failure(let failure): return .failure(.pipeline(failure.description))
        case .success(let (optimized, _)):
            return .success(PreparedModel(compilation: compilation, network: network, plain: plain, optimized: optimized, unusedTensors: unused))
        }
    }

    /// An error when the weights cannot be had: every weight made (zeros, then its values one
    /// tensor at a time, so the largest twice), packed one at a time, and `copies` more whole
    /// copies. Swift aborts the process when an array cannot be allocated, so what is needed
    /// at once is asked of the allocator (and given back) before any weight exists.
    static func memoryShortage(_ network: Network, copies: Int, spec: String) -> IOError? {
        let sizes = network.tensors.map { tensor in
            tensor.shape.reduce(MemoryLayout<Float>.size) { $0.multipliedReportingOverflow(by: max(1, $1)).overflow ? Int.max : $0 * max(1, $1) }
        }
        let total = sizes.reduce(0) { $0.addingReportingOverflow($1).overflow ? Int.max : $0 + $1 }
        let (whole, wholeOverflow) = total.multipliedReportingOverflow(by: 1 + copies)
        let (needed, neededOverflow) = whole.addingReportingOverflow(sizes.max() ?? 0)
        if !wholeOverflow, !neededOverflow, let probe = malloc(needed) {
            free(probe)
            return nil
        }
        let bytes = wholeOverflow || neededOverflow ? "more than \(Int.max)" : "\(needed)"
        let extra = copies > 0 ? ", \(copies) more whole cop\(copies == 1 ? "y" : "ies")" : ""
        return IOError(
            spec, "the weights (\(total) bytes) need \(bytes) bytes at once (the largest tensor twice\(extra)), which cannot be allocated: out of memory")
    }

    /// The optimized graph for an engine to own: its weights move out of this model (which
    /// keeps the structure), so the engine frees each one as soon as it is packed and the
    /// unpacked and packed copies are never both whole in memory.
    public mutating func takeOptimized() -> Graph {
        let graph = optimized
        optimized.constants = [:]
        return graph
    }
}
