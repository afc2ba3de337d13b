/// Seeded, deterministic weights for runs without a checkpoint. Statistics are deliberately
/// non-trivial (BatchNorm means and variances far from 0 and 1, layer scales far from 1)
/// so that folding passes are tested on numbers that would expose a wrong formula.
public enum WeightInit {
    public static func seeded(_ graph: inout Graph, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for node in graph.nodes {
            for (index, name) in node.weights.enumerated() {
                guard let dims = graph.constants[name]?.dims else { continue }
                let (low, high) = range(node.kind, index, dims)
                graph.constants[name] = Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), low, high))
            }
        }
    }

    /// A uniform range per weight role, scaled like He initialisation for weights.
    static func range(_ kind: OpKind, _ index: Int, _ dims: [Int]) -> (Float, Float) {
        switch kind {
        case .conv2d, .linear:
            if index == 0 {
                let fanIn = Float(dims.dropFirst().reduce(1, *))
                let bound = (6 / fanIn).squareRoot()
                return (-bound, bound)
            }
            return (-0.1, 0.1)
        case .batchNorm(_, let affine):
            let role = affine ? index : index + 2  // weight, bias, mean, var
            return [(0.5, 1.5), (-0.2, 0.2), (-0.3, 0.3), (0.5, 2.0)][role]
        case .layerNorm: return index == 0 ? (0.5, 1.5) : (-0.2, 0.2)
        case .channelScale, .scaleShift: return (0.25, 1.75)
        default: return (-1, 1)
        }
    }

    /// A seeded input batch of the graph's input type.
    public static func input(for graph: Graph, batch: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let dims = [batch] + graph.inputType.dims
        return Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), -1, 1))
    }
}
