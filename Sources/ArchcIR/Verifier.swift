/// Checks a graph's invariants: every read value is defined earlier, types follow each op's
/// rule, weights exist with the shapes the op needs, ids are unique, and every node is used.
/// Runs after every pass in tests and debug builds.
public enum Verifier {
    public static func verify(_ graph: Graph) -> [String] {
        var errors: [String] = []
        var defined: [ValueID: TensorType] = [Graph.inputID: graph.inputType]
        for node in graph.nodes {
            let at = "%\(node.id) (\(node.kind.mnemonic) '\(node.name)')"
            if defined[node.id] != nil { errors.append("\(at): value %\(node.id) is defined twice") }
            var inputTypes: [TensorType] = []
            for input in node.inputs {
                if let type = defined[input] { inputTypes.append(type) } else { errors.append("\(at): reads %\(input), which is not defined before it") }
            }
            var shapes: [[Int]] = []
            for name in node.weights {
                if let tensor = graph.constants[name] {
                    shapes.append(tensor.dims)
                } else {
                    errors.append("\(at): weight @\"\(name)\" is not a constant of the graph")
                }
            }
            if inputTypes.count == node.inputs.count, shapes.count == node.weights.count {
                switch ShapeInference.infer(node.kind, inputs: inputTypes, weights: shapes) {
                case .success(let type) where type != node.type:
                    errors.append("\(at): declared type \(node.type), but the op produces \(type)")
                case .failure(let message):
                    errors.append("\(at): \(message.message)")
                default: break
                }
            }
            defined[node.id] = node.type
        }
        if defined[graph.output] == nil { errors.append("the graph output %\(graph.output) is not defined") }
        let uses = graph.useCounts()
        for node in graph.nodes where uses[node.id, default: 0] == 0 {
            errors.append("%\(node.id) (\(node.kind.mnemonic) '\(node.name)') is never used")
        }
        for (name, tensor) in graph.constants where tensor.count != tensor.dims.reduce(1, *) {
            errors.append("constant @\"\(name)\" holds \(tensor.count) values for shape \(tensor.dims)")
        }
        return errors
    }
}
