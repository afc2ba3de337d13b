import ArchcIR

/// `fold-layernorm-affine`: a LayerNorm's gamma and beta fold into the linear layers that read
/// it, leaving a bare normalisation: linear(n * g + b) = (W diag(g)) n + (W b + bias), so
/// W'[o, i] = W[o, i] * g[i] and bias'[o] = bias[o] + sum_i W[o, i] * b[i]. Exact (up to
/// rounding) only when every reader is a linear on its input side, so the pass requires that
/// (a pre-norm ViT block: norm1 feeds only qkv, norm2 only mlp.fc1).
public struct FoldLayerNormAffine: Pass {
    public let flag = "fold-layernorm-affine"
    public let summary = "fold a LayerNorm's gamma and beta into the linear layers that read it"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            guard case .layerNorm(let eps, true) = node.kind, graph.output != node.id else { return false }
            let readers = graph.readers(of: node.id)
            guard !readers.isEmpty, readers.allSatisfy({ Self.readsAsLinearInput(graph[$0], node.id) }) else { return false }
            let gamma = graph.constant(node.weights[0]).data, beta = graph.constant(node.weights[1]).data
            for reader in readers { Self.absorb(gamma: gamma, beta: beta, into: reader, &graph) }
            var bare = node
            bare.kind = .layerNorm(eps: eps, affine: false)
            bare.weights = []
            graph.replaceNode(at: index, with: bare)
            return true
        }
    }

    /// True when `node` is a linear layer reading `value` only as the input it multiplies.
    static func readsAsLinearInput(_ node: Node, _ value: ValueID) -> Bool {
        guard case .linear = node.kind, node.inputs.first == value else { return false }
        return !node.inputs.dropFirst().contains(value)
    }

    /// Rewrites the linear at `index` to take the normalised value without gamma and beta.
    static func absorb(gamma: [Float], beta: [Float], into index: Int, _ graph: inout GraphEditor) {
        let weight = graph.constant(graph[index].weights[0])
        let (out, features) = (weight.dims[0], weight.dims[1])
        var scaled = weight.data
        var extra = [Double](repeating: 0, count: out)
        for o in 0..<out {
            for i in 0..<features {
                extra[o] += Double(weight.data[o * features + i]) * Double(beta[i])
                scaled[o * features + i] = weight.data[o * features + i] * gamma[i]
            }
        }
        graph.setWeight(node: index, slot: 0, Tensor(dims: weight.dims, data: scaled))
        let biasSlot = graph.ensureBias(node: index, channels: out)
        let bias = graph.constant(graph[index].weights[biasSlot])
        graph.setWeight(node: index, slot: biasSlot, Tensor(dims: bias.dims, data: (0..<out).map { Float(Double(bias.data[$0]) + extra[$0]) }))
    }
}
