import ArchcIR

/// Puts checkpoint tensors into a graph's constants by name, checking that every constant
/// is present with its shape before reading its values: tensors the spec does not use, or
/// whose shape is wrong, are never materialised. Extra tensors are reported (a warning,
/// or an error when strict).
public enum WeightLoader {
    public struct Outcome: Sendable {
        public var unused: [String]
    }

    public static func load(
        _ tensors: [String: Tensor], into graph: inout Graph, file: String, stripPrefix: String? = nil,
        strict: Bool = false
    ) throws -> Outcome {
        let lazy = tensors.mapValues { tensor in CheckpointTensor(dims: tensor.dims) { tensor } }
        return try load(lazy, into: &graph, file: file, stripPrefix: stripPrefix, strict: strict)
    }

    public static func load(
        _ tensors: [String: CheckpointTensor], into graph: inout Graph, file: String, stripPrefix: String? = nil,
        strict: Bool = false
    ) throws -> Outcome {
        var byName: [String: CheckpointTensor] = [:]
        for (name, tensor) in tensors {
            var key = name
            if let prefix = stripPrefix, key.hasPrefix(prefix) { key = String(key.dropFirst(prefix.count)) }
            byName[key] = tensor
        }
        var missing: [String] = []
        for name in graph.constants.keys.sorted() {
            guard let tensor = byName[name] else {
                missing.append(name)
                continue
            }
            if let reason = tensor.unsupported {
                throw IOError(file, "tensor '\(name)' has \(reason), which archc does not read (float32, float16, bfloat16, float64)")
            }
            let expected = graph.constants[name]!.dims
            guard tensor.dims == expected else { throw IOError(file, "tensor '\(name)' has shape \(tensor.dims), the spec expects \(expected)") }
            graph.constants[name] = try tensor.load()
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            throw IOError(file, "missing \(missing.count) tensor\(missing.count == 1 ? "" : "s") the spec needs: \(shown)\(missing.count > 5 ? ", ..." : "")")
        }
        // Integer buffers (num_batches_tracked, index tables) are skipped unless the spec needs them.
        let unused = byName.filter { graph.constants[$0.key] == nil && $0.value.unsupported == nil && !$0.key.hasSuffix("num_batches_tracked") }.keys.sorted()
        if strict, !unused.isEmpty {
            throw IOError(
                file,
                "\(unused.count) tensor\(unused.count == 1 ? "" : "s") the spec does not use (--strict): \(unused.prefix(5).map { "'\($0)'" }.joined(separator: ", "))"
            )
        }
        return Outcome(unused: unused)
    }
}
