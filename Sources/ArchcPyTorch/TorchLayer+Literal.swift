import ArchcSpec

/// Stem and head layers: written with the numbers the elaborated network already holds.
extension TorchLayer {
    /// The layer `layer` (elaborated from `decl`) with literal arguments.
    static func literal(_ layer: Layer, decl: LayerDecl, defaults: ModelSpec.Defaults) throws -> TorchLayer {
        let image: Bool
        if case .image = layer.inputShape { image = true } else { image = false }
        let channels = String(layer.inputShape.channels)
        switch layer.operation {
        case .conv(let c):
            return .conv(
                Conv(
                    inChannels: String(c.inChannels), outChannels: String(c.outChannels), kernel: pair(c.kernel.h, c.kernel.w),
                    stride: pair(c.stride.h, c.stride.w), dilation: pair(c.dilation.h, c.dilation.w), groups: String(c.groups),
                    bias: c.bias ? "True" : "False", padding: try padding(c, decl: decl, defaults: defaults)))
        case .batchNorm(let eps, let affine):
            return .batchNorm(channels: channels, eps: PythonSyntax.float(eps), affine: affine ? "True" : "False", image: image)
        case .layerNorm(let eps, let affine):
            return .layerNorm(channels: channels, eps: PythonSyntax.float(eps), affine: affine ? "True" : "False", image: image)
        case .activation(let kind):
            return .activation(kind)
        case .scale:
            return .scale(channels: channels, image: image)
        case .pool(let p):
            return .pool(max: p.kind == .max, kernel: String(p.kernel), stride: String(p.stride), padding: String(p.padding))
        case .globalAveragePool:
            return .globalAveragePool
        case .flatten:
            return .flatten
        case .linear(let out, let bias):
            return .linear(inFeatures: channels, outFeatures: String(out), bias: bias ? "True" : "False", pixelwise: image)
        case .tokens:
            return .tokens
        case .classToken:
            return .classToken(channels: channels)
        case .positionEmbedding:
            return .positionEmbedding(count: String(layer.inputShape.dims[0]), channels: channels)
        case .classTokenPool:
            return .classTokenPool
        case .tokenMean:
            return .tokenMean
        case .add, .attention:
            throw PyTorchEmitError(location: decl.location, message: "cannot write \(layer.operation.kind) outside a block in PyTorch")
        }
    }

    static func pair(_ a: Int, _ b: Int) -> String { a == b ? String(a) : "(\(a), \(b))" }

    /// TensorFlow "SAME" stays dynamic (`Conv2dSame`); any other padding is symmetric here.
    private static func padding(_ c: LayerOperation.Conv2D, decl: LayerDecl, defaults: ModelSpec.Defaults) throws -> String? {
        let mode = decl.args?["padding"]?.scalar ?? defaults.padding
        if ["same", "tf-same"].contains(mode) { return nil }
        let p = c.padding
        guard p.top == p.bottom, p.left == p.right else {
            throw PyTorchEmitError(location: decl.location, message: "cannot write the asymmetric padding \(p) of a conv")
        }
        return pair(p.top, p.left)
    }
}
