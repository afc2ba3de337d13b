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
        var original: [String: String] = [:]
        for name in tensors.keys.sorted() {
            var key = name
            if let prefix = stripPrefix, key.hasPrefix(prefix) { key = String(key.dropFirst(prefix.count)) }
            // 'c1.bias' and 'module.c1.bias' under --strip-prefix module.: one silently won.
            if let other = original[key] {
                throw IOError(file, "tensors '\(other)' and '\(name)' both load as '\(key)' with --strip-prefix '\(stripPrefix ?? "")'")
            }
            original[key] = name
            byName[key] = tensors[name]!
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
            let loaded = try tensor.load()
            // A NaN weight came out of fp32 as a NaN output, but int8 quantized it to 0 and
            // printed ordinary predictions: a checkpoint with one is refused, naming it.
            if let bad = loaded.nonFinite {
                throw IOError(
                    file,
                    "tensor '\(original[name] ?? name)' holds \(bad.count) NaN or infinite value(s) (the first, \(loaded.data[bad.first]), at flat index \(bad.first))"
                )
            }
            graph.constants[name] = loaded
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            var message = "missing \(missing.count) tensor\(missing.count == 1 ? "" : "s") the spec needs: \(shown)\(missing.count > 5 ? ", ..." : "")"
            if let prefix = commonPrefix(of: missing, in: byName) {
                message += "; every one is in the file under the prefix '\(prefix)': add --strip-prefix '\(prefix)'"
            }
            throw IOError(file, message)
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

    /// The prefix under which the checkpoint holds every missing name (a DataParallel
    /// checkpoint's 'module.'), if there is one.
    static func commonPrefix(of missing: [String], in byName: [String: CheckpointTensor]) -> String? {
        guard let first = missing.first,
            let key = byName.keys.sorted().first(where: { $0.count > first.count && $0.hasSuffix(first) })
        else { return nil }
        let prefix = String(key.dropLast(first.count))
        return missing.allSatisfy { byName[prefix + $0] != nil } ? prefix : nil
    }
}
