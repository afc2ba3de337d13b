import ArchcIR

/// `fold-batchnorm`: a BatchNorm right after a conv or linear (its only reader) becomes part
/// of that layer: W'[o] = W[o] * s[o], b'[o] = b[o] * s[o] + t[o], with s = gamma / sqrt(var + eps)
/// and t = beta - mean * s.
public struct FoldBatchNorm: Pass {
    public let flag = "fold-batchnorm"
    public let summary = "fold a BatchNorm into the conv or linear that produces its input"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            guard case .batchNorm(let eps, let affine) = node.kind,
                let producerIndex = graph.index(of: node.inputs[0]),
                graph[producerIndex].isPlainConvOrLinear, graph.hasSingleUse(node.inputs[0])
            else { return false }
            let w = node.weights.map { graph.constant($0) }
            let (s, t) = NormArithmetic.batchNormScaleShift(w, eps: eps, affine: affine)
            let producer = graph[producerIndex]
            graph.setWeight(node: producerIndex, slot: 0, scaleRows(graph.constant(producer.weights[0]), by: s))
            let biasSlot = graph.ensureBias(node: producerIndex, channels: s.count)
            let bias = graph.constant(graph[producerIndex].weights[biasSlot])
            graph.setWeight(node: producerIndex, slot: biasSlot, Tensor(dims: bias.dims, data: (0..<s.count).map { bias.data[$0] * s[$0] + t[$0] }))
            graph.bypass(node.id, with: producer.id)
            return true
        }
    }
}
