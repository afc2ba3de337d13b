import ArchcSpec

/// One layer as the emitted Python builds and applies it. Every number is Python source:
/// a literal in the model class, an expression of the block's parameters in a block class.
enum TorchLayer {
    case conv(Conv)
    case batchNorm(channels: String, eps: String, affine: String, image: Bool)
    case layerNorm(channels: String, eps: String, affine: String, image: Bool)
    case activation(LayerOperation.Activation)
    /// Layer scale: a learned per-channel factor, a parameter of the owning module.
    case scale(channels: String, image: Bool)
    case pool(max: Bool, kernel: String, stride: String, padding: String)
    case globalAveragePool
    case flatten
    /// Over the channels of a vector, of every token, or (`pixelwise`) of every pixel.
    case linear(inFeatures: String, outFeatures: String, bias: String, pixelwise: Bool)
    /// The patch grid as a token sequence: (N, C, H, W) -> (N, H*W, C).
    case tokens
    /// The learned class token (`cls_token` (1, 1, C)) prepended as token 0.
    case classToken(channels: String)
    /// The learned position embedding (`pos_embed` (1, T, C)) added to every token.
    case positionEmbedding(count: String, channels: String)
    /// Multi-head self-attention with fused q, k, v: the `Attention` helper (`qkv`, `proj`).
    case attention(channels: String, heads: String, qkvBias: String)
    /// Token 0 (DeiT's head), or the mean over tokens.
    case classTokenPool
    case tokenMean
    /// Training-time regularisers: modules without tensors, the identity in eval mode.
    case dropout(p: String)
    case dropPath(p: String)

    struct Conv {
        var inChannels, outChannels, kernel, stride, dilation, groups, bias: String
        /// nil: TensorFlow's "SAME", which depends on the input size and is padded in `forward`.
        var padding: String?
    }

    /// Layer scale starts at ConvNeXt's 1e-6, so a fresh residual branch starts near zero.
    static let layerScaleStart = "1e-6"

    /// Whether the layer owns tensors, and so an attribute of its module.
    var ownsTensors: Bool {
        switch self {
        case .conv, .batchNorm, .layerNorm, .scale, .linear, .classToken, .positionEmbedding, .attention: return true
        case .activation, .pool, .globalAveragePool, .flatten, .tokens, .classTokenPool, .tokenMean, .dropout, .dropPath: return false
        }
    }

    var isParameter: Bool {
        switch self {
        case .scale, .classToken, .positionEmbedding: return true
        default: return false
        }
    }

    /// A module without tensors that `forward` still calls (dropout), and its attribute's stem.
    var regulariser: (name: String, module: String)? {
        switch self {
        case .dropout(let p): return ("dropout", "nn.Dropout(\(p))")
        case .dropPath(let p): return ("drop_path", "DropPath(\(p))")
        default: return nil
        }
    }

    /// The module (or parameter) the layer owns, as a Python expression.
    var constructor: String? {
        switch self {
        case .conv(let c):
            var args = [c.inChannels, c.outChannels, "kernel_size=\(c.kernel)"]
            if c.stride != "1" { args.append("stride=\(c.stride)") }
            if let padding = c.padding, padding != "0" { args.append("padding=\(padding)") }
            if c.dilation != "1" { args.append("dilation=\(c.dilation)") }
            if c.groups != "1" { args.append("groups=\(c.groups)") }
            if c.bias != "True" { args.append("bias=\(c.bias)") }
            return (c.padding == nil ? "Conv2dSame(" : "nn.Conv2d(") + args.joined(separator: ", ") + ")"
        case .batchNorm(let channels, let eps, let affine, let image):
            return (image ? "nn.BatchNorm2d(" : "nn.BatchNorm1d(") + normArgs(channels, eps, affine, "affine") + ")"
        case .layerNorm(let channels, let eps, let affine, let image):
            return (image ? "LayerNorm2d(" : "nn.LayerNorm(") + normArgs(channels, eps, affine, "elementwise_affine") + ")"
        case .scale(let channels, _):
            return "nn.Parameter(torch.full((\(channels),), \(Self.layerScaleStart)))"
        case .linear(let inFeatures, let outFeatures, let bias, _):
            return "nn.Linear(\(inFeatures), \(outFeatures)\(bias == "True" ? "" : ", bias=\(bias)"))"
        case .classToken(let channels):
            return "nn.Parameter(torch.zeros(1, 1, \(channels)))"
        case .positionEmbedding(let count, let channels):
            return "nn.Parameter(torch.zeros(1, \(count), \(channels)))"
        case .attention(let channels, let heads, let qkvBias):
            return "Attention(\(channels), heads=\(heads)\(qkvBias == "True" ? "" : ", qkv_bias=\(qkvBias)"))"
        case .activation, .pool, .globalAveragePool, .flatten, .tokens, .classTokenPool, .tokenMean, .dropout, .dropPath:
            return nil
        }
    }

    private func normArgs(_ channels: String, _ eps: String, _ affine: String, _ affineName: String) -> String {
        var args = [channels]
        if eps != "1e-05" { args.append("eps=\(eps)") }
        if affine != "True" { args.append("\(affineName)=\(affine)") }
        return args.joined(separator: ", ")
    }

    /// The right-hand side of `x = ...` in `forward`; `owned` reads the layer's module or parameter.
    func apply(_ owned: String) -> String {
        switch self {
        case .conv, .batchNorm, .layerNorm, .attention, .dropout, .dropPath: return "\(owned)(x)"
        case .linear(_, _, _, let pixelwise): return pixelwise ? "\(owned)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)" : "\(owned)(x)"
        case .scale(_, let image): return image ? "x * \(owned)[:, None, None]" : "x * \(owned)"
        case .tokens: return "x.flatten(2).transpose(1, 2)"
        case .classToken: return "torch.cat([\(owned).expand(x.shape[0], -1, -1), x], dim=1)"
        case .positionEmbedding: return "x + \(owned)"
        case .classTokenPool: return "x[:, 0]"
        case .tokenMean: return "x.mean(1)"
        case .activation(let kind): return "F.\(kind.rawValue)(x)"
        case .pool(let max, let kernel, let stride, let padding):
            var args = ["x", "kernel_size=\(kernel)", "stride=\(stride)"]
            if padding != "0" { args.append("padding=\(padding)") }
            return (max ? "F.max_pool2d(" : "F.avg_pool2d(") + args.joined(separator: ", ") + ")"
        case .globalAveragePool: return "F.adaptive_avg_pool2d(x, 1).flatten(1)"
        case .flatten: return "x.flatten(1)"
        }
    }

    /// The layer as an element of `nn.Sequential` (a projection shortcut); nil when it has no
    /// single-module form.
    var sequentialModule: String? {
        switch self {
        case .conv, .batchNorm, .layerNorm, .attention: return constructor
        case .linear(_, _, _, let pixelwise): return pixelwise ? nil : constructor
        case .dropout, .dropPath: return regulariser?.module
        case .activation(let kind):
            switch kind {
            case .relu: return "nn.ReLU()"
            case .relu6: return "nn.ReLU6()"
            case .gelu: return "nn.GELU()"
            }
        case .pool(let max, let kernel, let stride, let padding):
            return (max ? "nn.MaxPool2d(" : "nn.AvgPool2d(") + "kernel_size=\(kernel), stride=\(stride)" + (padding == "0" ? "" : ", padding=\(padding)") + ")"
        case .flatten: return "nn.Flatten()"
        case .scale, .globalAveragePool, .tokens, .classToken, .positionEmbedding, .classTokenPool, .tokenMean: return nil
        }
    }

    /// The channel count after the layer (Python text), nil when it is not an expression of
    /// the block's parameters (a flattened feature map).
    func channels(after input: String?) -> String? {
        switch self {
        case .conv(let c): return c.outChannels
        case .linear(_, let out, _, _): return out
        case .flatten: return nil
        default: return input
        }
    }
}

/// A spec the emitter cannot write, at the place in the spec that asks for it.
struct PyTorchEmitError: Error {
    var location: SourceLocation
    var message: String
}
