/// What a layer computes, with every attribute evaluated to a number.
public enum LayerOperation: Sendable, Equatable {
    case conv(Conv2D)
    case batchNorm(eps: Double, affine: Bool)
    /// LayerNorm over the channel dimension (ConvNeXt-style on feature maps, or on vectors).
    case layerNorm(eps: Double, affine: Bool)
    case activation(Activation)
    /// Per-channel multiply by a learned vector (layer scale, `gamma`).
    case scale
    case pool(Pool2D)
    /// Mean over H and W; yields a feature vector.
    case globalAveragePool
    case flatten
    case linear(outFeatures: Int, bias: Bool)
    /// Residual add of the block body and its shortcut.
    case add

    public enum Activation: String, Sendable, Equatable {
        case relu, relu6, gelu
    }

    public struct Conv2D: Sendable, Equatable {
        public var inChannels: Int
        public var outChannels: Int
        public var kernel: (h: Int, w: Int)
        public var stride: (h: Int, w: Int)
        /// Explicit per-side padding, so TensorFlow's asymmetric "SAME" is representable.
        public var padding: (top: Int, left: Int, bottom: Int, right: Int)
        public var dilation: (h: Int, w: Int)
        public var groups: Int
        public var bias: Bool

        public var isDepthwise: Bool { groups == inChannels && groups > 1 }

        public static func == (a: Conv2D, b: Conv2D) -> Bool {
            a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.kernel == b.kernel && a.stride == b.stride
                && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups && a.bias == b.bias
        }
    }

    public struct Pool2D: Sendable, Equatable {
        public enum Kind: String, Sendable { case max, avg }
        public var kind: Kind
        public var kernel: Int
        public var stride: Int
        public var padding: Int
    }

    /// The short op name used in tables and JSON.
    public var kind: String {
        switch self {
        case .conv(let c): return c.isDepthwise ? "dwconv" : "conv"
        case .batchNorm: return "batchnorm"
        case .layerNorm: return "layernorm"
        case .activation(let a): return a.rawValue
        case .scale: return "scale"
        case .pool(let p): return p.kind == .max ? "maxpool" : "avgpool"
        case .globalAveragePool: return "global-avg-pool"
        case .flatten: return "flatten"
        case .linear: return "linear"
        case .add: return "add"
        }
    }
}
