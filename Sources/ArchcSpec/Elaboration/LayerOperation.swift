/// What a layer computes, with every attribute evaluated to a number.
///
/// Shapes below are per image (batch excluded); docs/transformers.md describes the
/// transformer ops for the IR side. Every switch over this type is exhaustive (no
/// `default`), so a new op cannot be priced, reported or lowered by accident.
public enum LayerOperation: Sendable, Equatable {
    case conv(Conv2D)
    case batchNorm(eps: Double, affine: Bool)
    /// LayerNorm over the channel dimension, for each pixel of a feature map (ConvNeXt's
    /// channels-last LayerNorm), each token of a sequence (ViT), or a vector.
    /// Tensors `weight` [C], `bias` [C] when affine.
    case layerNorm(eps: Double, affine: Bool)
    case activation(Activation)
    /// Per-channel multiply by a learned vector (layer scale, `gamma` [C]); on tokens, per channel of every token.
    case scale
    case pool(Pool2D)
    /// Mean over H and W; yields a feature vector.
    case globalAveragePool
    case flatten
    /// y = x W^T + b over the channel dimension: of a vector [F] -> [out]; of every token
    /// [T, C] -> [T, out]; of every pixel of a feature map [C, H, W] -> [out, H, W]
    /// (ConvNeXt's `mlp.fc1`: a 1x1 conv whose weight is stored 2-D). Tensors `weight`
    /// [out, C] and `bias` [out].
    case linear(outFeatures: Int, bias: Bool)
    /// Residual add of the block body and its shortcut (or of a `residual:` list and its input).
    case add
    /// [C, H, W] -> [H*W, C]: the patch grid becomes a token sequence, token t = pixel
    /// (t / W, t % W), as timm's `x.flatten(2).transpose(1, 2)`.
    case tokens
    /// [T, C] -> [T+1, C]: the learned class token (tensor `cls_token` [1, 1, C]) is
    /// prepended as token 0.
    case classToken
    /// [T, C] -> [T, C]: the learned position embedding (tensor `pos_embed` [1, T, C]) is added.
    case positionEmbedding
    /// [T, 3C] -> [T, C]: multi-head scaled dot-product self-attention on fused q, k, v
    /// (the output of the block's `qkv` linear). Channel `j*C + h*headDim + d` of the input
    /// is element d of head h of q (j = 0), k (j = 1) or v (j = 2), timm's layout;
    /// per head: softmax(q k^T * scale) v, heads concatenated back to C channels. No tensors:
    /// the `qkv` and `proj` linears around it are layers of their own.
    case attention(Attention)
    /// [T, C] -> [C]: token 0, the class token (DeiT's head).
    case classTokenPool
    /// [T, C] -> [C]: the mean over tokens (a head without a class token).
    case tokenMean

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

    public struct Attention: Sendable, Equatable {
        public var heads: Int
        public var headDim: Int
        /// C = heads * headDim.
        public var channels: Int { heads * headDim }
        /// The logits' factor, headDim^-0.5 (timm's `scale`).
        public var scale: Double { 1 / Double(headDim).squareRoot() }
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
        case .tokens: return "tokens"
        case .classToken: return "cls-token"
        case .positionEmbedding: return "pos-embed"
        case .attention: return "attention"
        case .classTokenPool: return "class-token"
        case .tokenMean: return "token-mean"
        }
    }
}
