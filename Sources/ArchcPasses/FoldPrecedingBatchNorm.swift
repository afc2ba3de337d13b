import ArchcIR

/// `fold-batchnorm-into-next`: a BatchNorm whose only reader is a conv folds into that conv's
/// input side, where that is exact: W'[o, i] = W[o, i] * s[ci], b'[o] = b[o] + sum W[o, i, ky, kx] * t[ci].
/// Exact only for 1x1 or unpadded convs: with padding the conv sees zeros where the
/// BatchNorm would have produced t, so padded convs are left alone.
public struct FoldPrecedingBatchNorm: Pass {
    public let flag = "fold-batchnorm-into-next"
    public let summary = "fold a BatchNorm into the 1x1 or unpadded conv that reads it"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            guard case .batchNorm(let eps, let affine) = node.kind, graph.hasSingleUse(node.id),
                let consumerIndex = graph.readers(of: node.id).first, graph[consumerIndex].inputs.first == node.id,
                case .conv2d(let attrs, _) = graph[consumerIndex].kind
            else { return false }
            let consumer = graph[consumerIndex]
            let weight = graph.constant(consumer.weights[0])
            let exact = (weight.dims[2] == 1 && weight.dims[3] == 1) || attrs.isUnpadded
            guard exact else { return false }
            let w = node.weights.map { graph.constant($0) }
            let (s, t) = NormArithmetic.batchNormScaleShift(w, eps: eps, affine: affine)
            let (cout, cinPerGroup) = (weight.dims[0], weight.dims[1])
            let taps = weight.dims[2] * weight.dims[3]
            let coutPerGroup = cout / attrs.groups
            var scaled = weight.data
            var extra = [Float](repeating: 0, count: cout)
            for o in 0..<cout {
                let g = o / coutPerGroup
                for i in 0..<cinPerGroup {
                    let ci = g * cinPerGroup + i
                    for k in 0..<taps {
                        let at = (o * cinPerGroup + i) * taps + k
                        extra[o] += weight.data[at] * t[ci]
                        scaled[at] = weight.data[at] * s[ci]
                    }
                }
            }
            graph.setWeight(node: consumerIndex, slot: 0, Tensor(dims: weight.dims, data: scaled))
            let biasSlot = graph.ensureBias(node: consumerIndex, channels: cout)
            let bias = graph.constant(graph[consumerIndex].weights[biasSlot])
            graph.setWeight(node: consumerIndex, slot: biasSlot, Tensor(dims: bias.dims, data: (0..<cout).map { bias.data[$0] + extra[$0] }))
            graph.bypass(node.id, with: node.inputs[0])
            return true
        }
    }
}
