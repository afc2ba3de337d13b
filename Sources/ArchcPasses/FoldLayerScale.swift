import ArchcIR

/// `fold-layer-scale`: a per-channel scale (layer scale gamma) right after a conv or linear
/// (its only reader) multiplies that layer's output rows: W'[o] = W[o] * g[o], b'[o] = b[o] * g[o].
public struct FoldLayerScale: Pass {
    public let flag = "fold-layer-scale"
    public let summary = "fold a per-channel scale into the conv or linear that produces its input"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            guard case .channelScale = node.kind, let producerIndex = graph.index(of: node.inputs[0]),
                graph[producerIndex].isPlainConvOrLinear, graph.hasSingleUse(node.inputs[0])
            else { return false }
            let gamma = graph.constant(node.weights[0]).data
            let producer = graph[producerIndex]
            graph.setWeight(node: producerIndex, slot: 0, scaleRows(graph.constant(producer.weights[0]), by: gamma))
            if producer.weights.count > 1 {
                let bias = graph.constant(producer.weights[1])
                graph.setWeight(node: producerIndex, slot: 1, Tensor(dims: bias.dims, data: zip(bias.data, gamma).map { $0 * $1 }))
            }
            graph.bypass(node.id, with: producer.id)
            return true
        }
    }
}
