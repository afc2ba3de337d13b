/// A fully elaborated model: every layer named, shaped and costed, in execution order.
public struct Network: Sendable {
    public struct Stage: Sendable {
        public var index: Int
        public var block: String
        public var depth: Int
        public var location: SourceLocation
    }

    public var name: String
    public var file: String
    public var input: TensorShape
    public var layers: [Layer]
    public var stages: [Stage]

    public var output: TensorShape { layers.last?.outputShape ?? input }
    // The elaborator refuses a network whose totals overflow, and costs are never negative:
    // these sums and every subtotal below fit in 64 bits.
    public var params: Int { layers.reduce(0) { $0 &+ $1.cost.params } }
    public var macs: Int { layers.reduce(0) { $0 &+ $1.cost.macs } }
    public var flops: Int { layers.reduce(0) { $0 &+ $1.cost.flops } }

    /// The checkpoint's state dict: every tensor, parameters and buffers, in layer order.
    public var tensors: [Layer.Tensor] { layers.flatMap(\.tensors) }

    /// The attention cores' cost (their q k^T and A v matmuls and softmax), reported on a
    /// line of its own: the part fvcore misses in timm's models.
    public var attentionCost: Cost {
        layers.filter { if case .attention = $0.operation { return true } else { return false } }.reduce(into: Cost()) { total, layer in
            total.params &+= layer.cost.params
            total.macs &+= layer.cost.macs
            total.flops &+= layer.cost.flops
        }
    }

    /// The number of attention layers.
    public var attentionLayers: Int {
        layers.filter { if case .attention = $0.operation { return true } else { return false } }.count
    }

    /// Summed cost of the layers in one section.
    public func cost(of section: Layer.Section) -> Cost {
        layers.filter { $0.section == section }.reduce(into: Cost()) { total, layer in
            total.params &+= layer.cost.params
            total.macs &+= layer.cost.macs
            total.flops &+= layer.cost.flops
        }
    }
}
