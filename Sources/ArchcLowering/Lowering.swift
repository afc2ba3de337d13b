import ArchcIR
import ArchcSpec

/// Lowers an elaborated `Network` to the IR: one node per layer, weights as named
/// constants (zero-filled until `WeightInit` or a checkpoint fills them).
public enum Lowering {
    /// Throws `LoweringError` for a layer the IR has no op for, instead of trapping (every
    /// layer of today's spec language has one).
    public static func lower(_ network: Network) throws -> Graph {
        guard case .image(let c, let h, let w) = network.input else { preconditionFailure("networks take images") }
        var nodes: [Node] = []
        var constants: [String: Tensor] = [:]
        for (index, layer) in network.layers.enumerated() {
            let inputs = layer.inputs.map { $0 == Layer.networkInput ? Graph.inputID : $0 + 1 }
            for tensor in layer.tensors { constants[tensor.name] = Tensor(zeros: tensor.shape) }
            nodes.append(
                Node(
                    id: index + 1, kind: try kind(of: layer), inputs: inputs, weights: layer.tensors.map(\.name),
                    type: TensorType(layer.outputShape.dims), name: layer.name, location: layer.location))
        }
        return Graph(
            name: network.name, inputType: TensorType([c, h, w]), nodes: nodes, output: nodes.last?.id ?? Graph.inputID,
            constants: constants)
    }

    static func kind(of layer: Layer) throws -> OpKind {
        switch layer.operation {
        case .conv(let c):
            let attrs = ConvAttributes(
                stride: [c.stride.h, c.stride.w], padding: [c.padding.top, c.padding.left, c.padding.bottom, c.padding.right],
                dilation: [c.dilation.h, c.dilation.w], groups: c.groups)
            return .conv2d(attrs, Epilogue())
        case .batchNorm(let eps, let affine): return .batchNorm(eps: Float(eps), affine: affine)
        case .layerNorm(let eps, let affine): return .layerNorm(eps: Float(eps), affine: affine)
        case .activation(let a): return .activation(Activation(rawValue: a.rawValue)!)
        case .scale: return .channelScale
        case .pool(let p):
            let attrs = PoolAttributes(kernel: p.kernel, stride: p.stride, padding: p.padding)
            return p.kind == .max ? .maxPool(attrs) : .avgPool(attrs)
        case .globalAveragePool: return .globalAvgPool
        case .flatten: return .flatten
        // On a vector, on every token, or on every pixel of a map: the IR's linear takes all three.
        case .linear: return .linear(Epilogue())
        case .add: return .add
        case .tokens: return .tokens
        case .classToken: return .prependToken
        case .positionEmbedding: return .addConstant
        case .attention(let a): return .attention(heads: a.heads)
        case .classTokenPool: return .selectToken(index: 0)
        case .tokenMean: return .tokenMean
        }
    }
}
