/// An activation's shape without its batch dimension, printed `[N, C, H, W]` (a feature
/// map), `[N, T, C]` (T tokens of C channels) or `[N, F]` (a feature vector).
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }

    /// C: the dimension norms, scales and linears act on (a token's last dimension).
    public var channels: Int { isTokens ? dims[1] : dims[0] }
    public var isImage: Bool { dims.count == 3 }
    public var isTokens: Bool { dims.count == 2 }
    public var elements: Int { dims.reduce(1, *) }

    public var description: String { "[N, " + dims.map(String.init).joined(separator: ", ") + "]" }
}

/// Identifies a value in a graph: `%input` is 0, each node's result is its own id.
public typealias ValueID = Int

/// Element-wise activations, shared by standalone nodes and conv epilogues.
public enum Activation: String, Sendable, CaseIterable {
    case relu, relu6, gelu
}

/// Convolution attributes; explicit per-side padding keeps TF "SAME" representable.
public struct ConvAttributes: Hashable, Sendable {
    public var stride: [Int]
    /// top, left, bottom, right
    public var padding: [Int]
    public var dilation: [Int]
    public var groups: Int

    public init(stride: [Int], padding: [Int], dilation: [Int], groups: Int) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public var isUnpadded: Bool { padding.allSatisfy { $0 == 0 } }
}

/// What a fused conv or linear does to its accumulator before storing it:
/// `post(act(conv + bias) + residual)`.
public struct Epilogue: Hashable, Sendable {
    public var activation: Activation?
    /// When true the node's second input is added after `activation`.
    public var residual = false
    public var postActivation: Activation?

    public init(activation: Activation? = nil, residual: Bool = false, postActivation: Activation? = nil) {
        self.activation = activation
        self.residual = residual
        self.postActivation = postActivation
    }

    public var isEmpty: Bool { activation == nil && !residual && postActivation == nil }
}

public struct PoolAttributes: Hashable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(kernel: Int, stride: Int, padding: Int) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }
}

/// The operations of the IR. Weights are named constants, listed in `Node.weights` in the
/// order each op documents.
public enum OpKind: Hashable, Sendable {
    /// weights: weight [Cout, Cin/g, kh, kw], optional bias [Cout]; inputs: x, residual when the epilogue has one.
    case conv2d(ConvAttributes, Epilogue)
    /// weights: weight, bias (when affine), running_mean, running_var.
    case batchNorm(eps: Float, affine: Bool)
    /// Per-channel `x * scale + shift`: a BatchNorm whose arithmetic was folded to two vectors.
    /// weights: scale [C], shift [C].
    case scaleShift
    /// LayerNorm over the channels at each position (of a map, a token or a vector);
    /// weights: weight [C], bias [C] (when affine).
    case layerNorm(eps: Float, affine: Bool)
    case activation(Activation)
    /// Per-channel multiply (layer scale); weights: gamma [C].
    case channelScale
    case add
    case maxPool(PoolAttributes)
    case avgPool(PoolAttributes)
    case globalAvgPool
    case flatten
    /// On a vector [F] -> [out], on tokens [T, C] -> [T, out], on a map [C, H, W] -> [out, H, W]
    /// (per pixel, ConvNeXt's pointwise layers); weights: weight [out, in], optional bias [out];
    /// inputs: x, residual when the epilogue has one.
    case linear(Epilogue)
    /// A feature map's pixels as tokens, row by row: [C, H, W] -> [H * W, C].
    case tokens
    /// A learned token put in front of the others (ViT's class token): [T, C] -> [T + 1, C];
    /// weights: token [1, 1, C].
    case prependToken
    /// Adds a learned constant of the value's shape (position embedding); weights: [1, T, C].
    case addConstant
    /// Multi-head self-attention on fused projections: [T, 3C] -> [T, C]. Columns hold q, k
    /// and v, each as `heads` slices of C / heads; per head softmax(q k^T / sqrt(C / heads)) v,
    /// heads concatenated in order.
    case attention(heads: Int)
    /// One token: [T, C] -> [C] (the class token at index 0).
    case selectToken(index: Int)
    /// The mean over tokens: [T, C] -> [C].
    case tokenMean

    /// The op's name in the textual IR.
    public var mnemonic: String {
        switch self {
        case .conv2d: return "conv2d"
        case .batchNorm: return "batchnorm"
        case .scaleShift: return "scale_shift"
        case .layerNorm: return "layernorm"
        case .activation(let a): return a.rawValue
        case .channelScale: return "channel_scale"
        case .add: return "add"
        case .maxPool: return "maxpool"
        case .avgPool: return "avgpool"
        case .globalAvgPool: return "global_avgpool"
        case .flatten: return "flatten"
        case .linear: return "linear"
        case .tokens: return "tokens"
        case .prependToken: return "prepend_token"
        case .addConstant: return "add_constant"
        case .attention: return "attention"
        case .selectToken: return "select_token"
        case .tokenMean: return "token_mean"
        }
    }
}

extension OpKind {
    /// The fused epilogue of a conv or linear; nil for every other op.
    public var epilogue: Epilogue? {
        switch self {
        case .conv2d(_, let e), .linear(let e): return e
        default: return nil
        }
    }

    /// The same conv or linear with another epilogue (other ops are returned unchanged).
    public func with(_ epilogue: Epilogue) -> OpKind {
        switch self {
        case .conv2d(let attrs, _): return .conv2d(attrs, epilogue)
        case .linear: return .linear(epilogue)
        default: return self
        }
    }
}

/// One operation: reads values and named weights, defines one value (its own id).
public struct Node: Sendable {
    public var id: ValueID
    public var kind: OpKind
    public var inputs: [ValueID]
    public var weights: [String]
    public var type: TensorType
    /// The layer's name in the spec (`stages.0.blocks.0.pwconv1`), for tables and `--check`.
    public var name: String
    public var location: SourceLocation?

    public init(
        id: ValueID, kind: OpKind, inputs: [ValueID], weights: [String], type: TensorType, name: String,
        location: SourceLocation? = nil
    ) {
        self.id = id
        self.kind = kind
        self.inputs = inputs
        self.weights = weights
        self.type = type
        self.name = name
        self.location = location
    }
}
