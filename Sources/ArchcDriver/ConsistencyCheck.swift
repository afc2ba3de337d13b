import ArchcIR
import ArchcInterpreter
import ArchcRuntime

/// `archc run --check`: the same input through the reference interpreter (unfused and
/// optimized graphs) and the runtime, reporting the first layer where two disagree.
public struct ConsistencyCheck {
    public struct Finding: Sendable {
        public var layer: String
        public var location: String
        public var error: Float
    }

    public var passesError: Float
    /// Per optimized node in execution order: runtime vs interpreter relative error.
    public var layers: [(name: String, error: Float)]
    public var firstMismatch: Finding?
    public var tolerance: Float
    /// Output of the generated model (when one is compiled in for the spec) vs the runtime's.
    public var generated: (name: String, error: Float)?

    /// NaN or infinite values in the runtime's output: where every engine agrees on them
    /// the check still fails, as `run` does (the layers "agreed" on NaN with exit 0).
    public var nonFiniteOutputs = 0

    public var passed: Bool {
        firstMismatch == nil && passesError <= tolerance && (generated?.error ?? 0) <= tolerance && nonFiniteOutputs == 0
    }

    /// `generated`, when given, runs the same input through a generated model.
    public static func run(
        _ model: PreparedModel, engine: Engine, input: Tensor, tolerance: Float = 1e-4,
        generated: (name: String, predict: (Tensor) throws -> Tensor)? = nil
    ) throws -> ConsistencyCheck {
        guard let plain = model.plain else { throw EngineError.invalid("the consistency check needs the unoptimized graph (PreparedModel.Options.keepPlain)") }
        let plainOut = Interpreter.run(plain, input: input)
        let reference = Interpreter.runAll(model.optimized, input: input)
        let passesError = reference[model.optimized.output]!.relativeError(to: plainOut)
        let runtime = try engine.runAll(input)
        var layers: [(String, Float)] = []
        var first: Finding?
        for node in model.optimized.nodes {
            let error = runtime[node.id]!.relativeError(to: reference[node.id]!)
            layers.append((node.name, error))
            if first == nil, error > tolerance {
                first = Finding(layer: node.name, location: node.location?.description ?? "-", error: error)
            }
        }
        var check = ConsistencyCheck(passesError: passesError, layers: layers, firstMismatch: first, tolerance: tolerance)
        check.nonFiniteOutputs = runtime[model.optimized.output]!.nonFinite?.count ?? 0
        if let generated {
            check.generated = (generated.name, try generated.predict(input).relativeError(to: runtime[model.optimized.output]!))
        }
        return check
    }

    public var text: String {
        var lines = [
            String(format: "interpreter, unfused vs optimized graph: max relative error %.2e %@", passesError, passesError <= tolerance ? "ok" : "MISMATCH")
        ]
        let worst = layers.map(\.error).max() ?? 0
        lines.append(String(format: "runtime vs interpreter, %d layers: worst relative error %.2e", layers.count, worst))
        if let first = firstMismatch {
            lines.append(String(format: "first disagreement: layer '%@' (%@), relative error %.2e > %.0e", first.layer, first.location, first.error, tolerance))
        } else {
            lines.append(String(format: "all layers agree within %.0e", tolerance))
        }
        if let generated {
            lines.append(
                String(
                    format: "generated model %@ vs runtime: max relative error %.2e %@", generated.name, generated.error,
                    generated.error <= tolerance ? "ok" : "MISMATCH"))
        }
        if nonFiniteOutputs > 0 {
            lines.append(
                "FAILED: \(nonFiniteOutputs) output value(s) are NaN or infinite: the weights or the input are not finite, or the model overflows float32")
        }
        return lines.joined(separator: "\n")
    }
}
