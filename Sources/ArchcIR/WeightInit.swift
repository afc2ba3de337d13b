/// Seeded, deterministic weights for runs without a checkpoint, in one of two styles.
public enum WeightInit {
    /// How seeded weights are drawn.
    public enum Style: String, Sendable, CaseIterable {
        /// What an untrained PyTorch model holds: conv and linear weights and biases
        /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming-uniform with a = sqrt(5)), BatchNorm
        /// and LayerNorm weight 1, bias 0, running mean 0, variance 1, layer scales 1e-6 (the
        /// reference code's init value). Outputs look like an untrained model's.
        case pytorch
        /// Statistics deliberately far from PyTorch's defaults (BatchNorm means and variances
        /// far from 0 and 1, layer scales far from 1, He-scaled weights): numbers that expose
        /// a wrong folding formula or kernel, for tests of passes, runtime and exports.
        case stress
    }

    public static func seeded(_ graph: inout Graph, seed: UInt64, style: Style = .pytorch) {
        var generator = SeededGenerator(seed: seed)
        for node in graph.nodes {
            for (index, name) in node.weights.enumerated() {
                guard let dims = graph.constants[name]?.dims else { continue }
                let (low, high) = style == .pytorch ? pytorchRange(node.kind, index, fanIn: fanIn(node, graph)) : range(node.kind, index, dims)
                let data = low == high ? [Float](repeating: low, count: dims.reduce(1, *)) : generator.uniformArray(dims.reduce(1, *), low, high)
                graph.constants[name] = Tensor(dims: dims, data: data)
            }
        }
    }

    /// Inputs feeding one output of a conv or linear layer: its weight's elements per output
    /// ([Cout, Cin/g, kh, kw] -> Cin/g * kh * kw; [F_out, F_in] -> F_in).
    static func fanIn(_ node: Node, _ graph: Graph) -> Float {
        guard let name = node.weights.first, let dims = graph.constants[name]?.dims, dims.count >= 2 else { return 1 }
        return Float(max(1, dims.dropFirst().reduce(1, *)))
    }

    /// PyTorch's default initialisation per weight role (a constant when low == high).
    static func pytorchRange(_ kind: OpKind, _ index: Int, fanIn: Float) -> (Float, Float) {
        switch kind {
        case .conv2d, .linear:
            let bound = 1 / fanIn.squareRoot()
            return (-bound, bound)
        case .batchNorm(_, let affine):
            let role = affine ? index : index + 2  // weight, bias, mean, var
            return [(1, 1), (0, 0), (0, 0), (1, 1)][role]
        case .layerNorm: return index == 0 ? (1, 1) : (0, 0)
        case .channelScale: return (1e-6, 1e-6)
        case .scaleShift: return index == 0 ? (1, 1) : (0, 0)
        default: return (-1, 1)
        }
    }

    /// A uniform range per weight role, scaled like He initialisation for weights (the
    /// stress style).
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
